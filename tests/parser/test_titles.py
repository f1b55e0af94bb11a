from nianbao.crawler import discovery
from nianbao.report import titles


def test_a_year_in_chinese_numerals_reads_digit_by_digit():
    assert titles.chinese_digits("二〇二四") == "2024"
    assert titles.chinese_digits("二O二三") == "2023"


def test_a_day_in_chinese_numerals_reads_with_its_tens():
    assert [titles.chinese_count(w) for w in ("九", "十", "十五", "二十一", "三十")] == [9, 10, 15, 21, 30]


def test_a_link_title_in_chinese_numerals_gives_its_year():
    assert titles.title_year("某局二〇二二年政府信息公开工作年度报告") == 2022


def test_the_crawler_asks_the_library_recogniser():
    assert discovery.classify_title is titles.classify_title


def test_the_parser_title_and_the_crawler_subject_agree_on_the_subject():
    for title in ("某局2020年度政务公开工作年度报告", "某局2019年度信息公开报告", "某局2021年政府信息公开工作年度报告"):
        assert titles.TITLE.search(title)
        assert titles.classify_title(title).is_report
