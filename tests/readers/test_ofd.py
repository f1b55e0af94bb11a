"""OFD (GB/T 33190): the seed reports laid out as printed pages and written as OFD packages parse to the
same models as their PDF twins (same layout, same glyph advances, same ruling lines), and the reader keeps
to the standard's rules and to the limits of hostile input."""

from __future__ import annotations

import io
import random
import re
import zipfile

import pytest

from nianbao.report import check_bytes
from nianbao.report.readers import UnreadableDocument, read_document
from nianbao.report.readers.dispatch import sniff_format
from nianbao.report.readers.ofd import _deltas, _path_segments
from tests.readers.ofd_writer import NS, layout, to_ofd, to_pdf
from tests.readers.render import NUMBER, StructuredReport, Table, parse_seed, seed_paths

TABLE_KEYS = ("agency", "year", "format_version", "proactive", "applications", "appeals")


def _varied(report: StructuredReport, seed: int) -> StructuredReport:
    rng = random.Random(seed)
    blocks: list[str | Table] = [
        Table([[str(rng.randint(0, 3000)) if NUMBER.match(c) else c for c in row] for row in block.rows])
        if isinstance(block, Table) else block for block in report.blocks]
    return StructuredReport(report.title, blocks)


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.name[:3])
def test_an_ofd_report_parses_to_the_model_of_its_pdf_twin(path):
    report = parse_seed(path.read_text(encoding="utf-8"))
    pages = layout(report)
    ofd, pdf = check_bytes(to_ofd(report, pages), "r.ofd"), check_bytes(to_pdf(report, pages), "r.pdf")
    assert ofd.report.to_dict() == pdf.report.to_dict()
    assert [f.to_dict() for f in ofd.findings] == [f.to_dict() for f in pdf.findings]
    assert ofd.report.applications  # the tables were read, not both lost alike


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.name[:3])
def test_an_ofd_report_reads_every_table_cell_of_its_seed(path):
    seed = check_bytes(path.read_bytes(), path.name).report.to_dict()
    report = parse_seed(path.read_text(encoding="utf-8"))
    ofd = check_bytes(to_ofd(report), "r.ofd").report.to_dict()
    assert {k: ofd[k] for k in TABLE_KEYS} == {k: seed[k] for k in TABLE_KEYS}


@pytest.mark.parametrize("seed", range(3))
def test_ofd_and_pdf_twins_agree_on_varied_numbers(seed):
    report = _varied(parse_seed(seed_paths()[seed % 5].read_text(encoding="utf-8")), seed)
    pages = layout(report)
    ofd, pdf = check_bytes(to_ofd(report, pages), "r.ofd"), check_bytes(to_pdf(report, pages), "r.pdf")
    assert ofd.report.to_dict() == pdf.report.to_dict()


def test_an_ofd_package_is_recognised_by_its_bytes_whatever_its_name():
    data = to_ofd(parse_seed(seed_paths()[2].read_text(encoding="utf-8")))
    assert sniff_format(data, "download.bin") == "ofd"
    assert sniff_format(data, None) == "ofd"
    assert read_document(data).source_format == "ofd"


def test_a_damaged_ofd_is_unreadable_with_a_reason():
    with pytest.raises(UnreadableDocument, match="OFD 文件已损坏"):
        read_document(b"not a zip at all, just some bytes", "report.ofd")
    with pytest.raises(UnreadableDocument, match="OFD 文件已损坏：.*DocRoot"):
        read_document(_package({"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody/></ofd:OFD>"}))


# --- the standard's rules ------------------------------------------------------------------------------

def test_delta_lists_expand_the_g_repetition():
    assert _deltas("g 3 1.5 2 g 2 0.5", 10) == [1.5, 1.5, 1.5, 2.0, 0.5, 0.5]
    assert _deltas("1 2 3", 2) == [1.0, 2.0]  # one advance fewer than the glyphs


def test_a_hostile_repetition_count_costs_nothing():
    assert _deltas("g 1000000000000 1", 4) == [1.0] * 4


def test_path_data_gives_straight_segments_and_closes_subpaths():
    segments = list(_path_segments("M 0 0 L 10 0 L 10 5 B 1 1 2 2 3 3 C S 7 7 L 7 9"))
    assert segments == [((0, 0), (10, 0)), ((10, 0), (10, 5)), ((3, 3), (0, 0)), ((7, 7), (7, 9))]


def _page(objects: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer>{objects}' \
           "</ofd:Layer></ofd:Content></ofd:Page>"


def _package(members: dict[str, str | bytes], pages: int = 1) -> bytes:
    base = {
        "OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {NS}><ofd:CommonData><ofd:TemplatePage ID=\"7\" "
                              f"BaseLoc=\"Tpls/Tpl_0/Content.xml\"/></ofd:CommonData><ofd:Pages>"
                              + "".join(f'<ofd:Page ID="{i}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
                                        for i in range(pages)) + "</ofd:Pages></ofd:Document>",
    }
    base.update(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in base.items():
            archive.writestr(name, value)
    return out.getvalue()


def _text(boundary: str, code: str, *, size: float = 4, ctm: str = "") -> str:
    ctm_attr = f' CTM="{ctm}"' if ctm else ""
    return f'<ofd:TextObject ID="1" Boundary="{boundary}" Size="{size}"{ctm_attr}>{code}</ofd:TextObject>'


def test_glyphs_are_placed_by_boundary_ctm_and_advances():
    # Three renderings of "本年新收 12": plain, scaled by CTM (half of a doubled size), and continued in a
    # second TextCode without X (it carries on where the first stopped).
    plain = _text("20 20 80 10", '<ofd:TextCode X="0" Y="4" DeltaX="g 4 4 4 2">本年新收 12</ofd:TextCode>')
    scaled = _text("20 20 80 10", '<ofd:TextCode X="0" Y="8" DeltaX="g 4 8 8 4">本年新收 12</ofd:TextCode>',
                   size=8, ctm="0.5 0 0 0.5 0 0")
    continued = _text("20 20 80 10", '<ofd:TextCode X="0" Y="4" DeltaX="g 3 4">本年新收</ofd:TextCode>'
                                     '<ofd:TextCode DeltaX="4 2"> 12</ofd:TextCode>')
    texts = []
    for objects in (plain, scaled, continued):
        doc = read_document(_package({"Doc_0/Pages/Page_0/Content.xml": _page(objects)}))
        texts.append(doc.text)
    assert texts[0] == texts[1] == texts[2] == "本年新收\t12"  # a table label: its number a cell apart


def test_template_content_is_drawn_beneath_the_page():
    template = _page(_text("20 10 80 10", '<ofd:TextCode X="0" Y="4">示例县统计局</ofd:TextCode>'))
    page = (f'<ofd:Page {NS}><ofd:Template TemplateID="7" ZOrder="Background"/><ofd:Content><ofd:Layer>'
            + _text("20 30 80 10", '<ofd:TextCode X="0" Y="4">2023年度报告</ofd:TextCode>')
            + "</ofd:Layer></ofd:Content></ofd:Page>")
    doc = read_document(_package({"Doc_0/Tpls/Tpl_0/Content.xml": template, "Doc_0/Pages/Page_0/Content.xml": page}))
    assert doc.text.split("\n") == ["示例县统计局", "2023年度报告"]


# --- hostile input -----------------------------------------------------------------------------------------

def test_a_zip_bomb_member_is_refused_before_it_is_decompressed():
    bomb = _package({"Doc_0/Pages/Page_0/Content.xml": _page("") + " " * (50 * 1024 * 1024)})
    with pytest.raises(UnreadableDocument, match="压缩炸弹"):
        read_document(bomb, "r.ofd")


def test_xml_entities_are_not_expanded():
    laughs = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "本年新收本年新收本年新收">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              + _page(_text("20 20 80 10", '<ofd:TextCode X="0" Y="4">&b;</ofd:TextCode>'))[38:])
    with pytest.raises(UnreadableDocument):
        read_document(_package({"Doc_0/Pages/Page_0/Content.xml": laughs}), "r.ofd")


def test_too_many_pages_are_refused():
    page = _page(_text("20 20 80 10", '<ofd:TextCode X="0" Y="4">一页</ofd:TextCode>'))
    members = {f"Doc_0/Pages/Page_{i}/Content.xml": page for i in range(5)}
    with pytest.raises(UnreadableDocument, match=re.escape("5 页（上限 3 页）")):
        read_document(_package(members, pages=5), "r.ofd", max_pages=3)
