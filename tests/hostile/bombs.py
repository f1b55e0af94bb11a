"""Documents that are small on disk and huge once read (issue 11, point 3)."""

from __future__ import annotations

import io
import zipfile
import zlib


def pdf_bomb(inflated: int) -> bytes:
    """A one-page PDF whose content stream (text-showing operators) inflates to `inflated` bytes."""
    pack = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf 72 720 Td (1) Tj ET\n" * 30_000
    parts = [pack.compress(chunk) for _ in range(inflated // len(chunk))]
    stream = b"".join(parts) + pack.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bomb(xml_bytes: int) -> bytes:
    """A DOCX whose document.xml is `xml_bytes` of paragraphs of varied digits (compresses ~5-10x, under
    any ratio limit)."""
    paragraph = "".join(f"<w:p><w:r><w:t>第{i}段 {i * 7919 % 100003} {i * 104729 % 99991}</w:t></w:r></w:p>"
                        for i in range(2000)).encode()
    body = paragraph * max(1, xml_bytes // len(paragraph))
    document = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                + body + b"</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
                         '.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", document)
    return out.getvalue()
