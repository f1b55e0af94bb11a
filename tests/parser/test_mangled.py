"""Property: the text parser never crashes on mangled reports; it returns a report or says why not."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.report import check_bytes
from nianbao.report.readers import UnreadableDocument

SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "002_4e4a82637444ff61.txt").read_text()
CELL_PER_LINE = (Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "000_46a99d63eeadd252.txt").read_text()


@st.composite
def mangled(draw):
    text = draw(st.sampled_from([SEED, CELL_PER_LINE]))
    for _ in range(draw(st.integers(0, 12))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["cut", "insert", "duplicate", "digits"]))
        if action == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 400)):]
        elif action == "insert":
            text = text[:at] + draw(st.text(alphabet="0123456789\t\n |（）一二三四五六、.总计结转", max_size=40)) + text[at:]
        elif action == "duplicate":
            text = text[:at] + text[at:at + 300] + text[at:]
        else:
            text = text[:at] + draw(st.from_regex(r"[0-9 ]{1,25}", fullmatch=True)) + text[at:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_parser_never_crashes(text):
    try:
        result = check_bytes(text.encode("utf-8"))
    except UnreadableDocument as exc:
        assert str(exc)
        return
    for finding in result.findings:
        assert finding.severity in {"error", "warning"}
        assert finding.message
