"""Issue 11, point 3: every document read within a memory and time budget; over it, a clear result."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nianbao.crawler import store_jobs
from nianbao.crawler.items import ReportCandidate
from nianbao.report import OverBudget, check_bytes, check_in_budget
from nianbao.report.limits import Limits
from nianbao.settings.models import DocumentSettings
from tests.hostile import CORPUS_REPORT
from tests.hostile.bombs import docx_bomb, pdf_bomb

SMALL = Limits(max_memory=400 * 2**20)  # the child's imports take ~150 MB of address space


def test_a_pdf_whose_page_stream_inflates_past_the_budget_is_too_large():
    with pytest.raises(OverBudget, match="文件过大"):
        check_in_budget(pdf_bomb(300 * 2**20), "bomb.pdf", SMALL)


def test_a_docx_whose_xml_outgrows_the_budget_is_too_large_under_the_ratio_limit():
    with pytest.raises(OverBudget, match="文件过大"):
        check_in_budget(docx_bomb(60 * 2**20), "bomb.docx", SMALL)


def test_a_document_that_takes_longer_than_the_budget_is_too_slow():
    with pytest.raises(OverBudget, match="读取超时"):
        check_in_budget(CORPUS_REPORT.encode() * 3, "report.txt", Limits(check_timeout=0.001))


def test_within_the_budget_the_result_is_the_same_as_in_process():
    inside = check_in_budget(CORPUS_REPORT.encode(), "report.txt")
    direct = check_bytes(CORPUS_REPORT.encode(), "report.txt")
    assert inside.report.to_dict() == direct.report.to_dict()
    assert inside.findings == direct.findings and inside.fully_read


def test_the_crawler_stores_an_over_budget_document_as_unreadable_with_the_reason(monkeypatch):
    monkeypatch.setattr(store_jobs, "_state", SimpleNamespace(limits=SMALL))
    parsed = store_jobs.parse_content(pdf_bomb(300 * 2**20), "bomb.pdf")
    assert parsed.model is None and parsed.unreadable and parsed.unreadable.startswith("文件过大")


def _parts(*bodies: tuple[bytes, str]) -> list[ReportCandidate]:
    return [ReportCandidate("gz-tjj", f"http://gz.example.gov.cn/files/{name}", body, {}, filename=name,
                            part_of=("http://gz.example.gov.cn/nb/t1.html", index, len(bodies)))
            for index, (body, name) in enumerate(bodies)]


def test_the_parts_of_a_split_report_are_joined_in_page_order(monkeypatch):
    monkeypatch.setattr(store_jobs, "_state", SimpleNamespace(limits=Limits()))
    first, second = CORPUS_REPORT[:2000], CORPUS_REPORT[2000:4000]
    joined = store_jobs._joined(_parts((first.encode(), "nb-1.txt"), (second.encode(), "nb-2.txt")))
    text = joined.body.decode()
    assert text.index(first.strip()[:40]) < text.index(second.strip()[:40])
    assert joined.url.endswith("#attachments")


def test_each_part_of_a_split_report_is_read_within_the_budget_and_one_over_it_is_left_out(monkeypatch, caplog):
    # Read in the crawl's own process, with no budget, the bomb's 60 MB of XML would be read (and joined).
    monkeypatch.setattr(store_jobs, "_state", SimpleNamespace(limits=SMALL))
    first = CORPUS_REPORT[:2000]
    joined = store_jobs._joined(_parts((first.encode(), "nb-1.txt"), (docx_bomb(60 * 2**20), "nb-2.docx")))
    assert joined.body.decode().strip() == first.strip()
    assert "文件过大" in caplog.text


def test_the_document_settings_default_to_the_report_librarys_limits():
    assert DocumentSettings().limits() == Limits()
    assert DocumentSettings(max_memory_mb=512, timeout=5.0).limits().max_memory == 512 * 2**20
