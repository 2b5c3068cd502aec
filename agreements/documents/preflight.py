"""Checks an uploaded file before anything is stored: a plain Word .docx or a clear refusal saying why.

The file's content decides, never its name. Refused: anything that is not a .docx package (PDF, images, ODT,
other Office formats, renamed files), macro-enabled documents (.docm, vbaProject.bin), templates (.dotx/.dotm),
XML with a DTD or entity declarations in any part, zip bombs (compression ratio, total unpacked size, number of
entries), password-protected (OLE compound file) or corrupt files, and files over settings.INTESE['UPLOAD_MAX_BYTES'].
"""

import io
import posixpath
import re
import zipfile
import zlib

import docx
from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from agreements.common.errors import ServiceError

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
TEMPLATE_MAINS = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
)
OFFICE_DOCUMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
STRICT_OFFICE_DOCUMENT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# A real .docx unpacks to a few MB at most; its XML compresses well, but not 100:1 once it is over a megabyte.
MAX_ENTRIES = 1000
MAX_RATIO = 100
RATIO_CHECK_FROM = 1024 * 1024
CHUNK = 64 * 1024

# DTDs and entity declarations in any encoding a parser would accept: UTF-8/ASCII and UTF-16 either way.
_FORBIDDEN_MARKUP = [b"<!doctype", b"<!entity"]
_FORBIDDEN_PATTERNS = [p for m in _FORBIDDEN_MARKUP for p in (m, m.decode().encode("utf-16-le"),
                                                              m.decode().encode("utf-16-be"))]
_LONGEST_PATTERN = max(len(p) for p in _FORBIDDEN_PATTERNS)

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class PreflightError(ServiceError):
    """The upload is refused; nothing was stored."""


def unzip_max_bytes() -> int:
    return settings.INTESE.get("UNZIP_MAX_BYTES", 50 * 1024 * 1024)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def check_size(size: int) -> None:
    """The cheap check, usable before the upload is even read."""
    limit = settings.INTESE["UPLOAD_MAX_BYTES"]
    if size > limit:
        raise PreflightError(
            _("Il file è troppo grande (%(size)s): il limite è %(limit)s.") % {"size": _mb(size), "limit": _mb(limit)}
        )
    if size == 0:
        raise PreflightError(_("Il file è vuoto."))


def preflight_docx(data: bytes) -> None:
    """Raise PreflightError with a message for the user unless `data` is a plain, safe .docx."""
    check_size(len(data))
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise PreflightError(
                _("Il file è protetto da password (cifrato): salvarlo senza password e ricaricarlo.")
            )
        raise PreflightError(
            _("Il file è in un formato Office binario (.doc) o cifrato: salvarlo come documento Word .docx.")
        )
    if not data.startswith(ZIP_MAGIC):
        raise PreflightError(_("Il file non è un documento Word .docx (contenuto non riconosciuto)."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise PreflightError(_("Il file .docx è danneggiato e non può essere letto.")) from None
    with archive:
        names = _check_entries(infos)
        _scan_parts(archive, infos)
        _check_package(archive, names)
    _check_opens(data)


def _check_entries(infos) -> dict[str, zipfile.ZipInfo]:
    if len(infos) > MAX_ENTRIES:
        raise PreflightError(
            _("Il file contiene troppe parti (%(n)d, massimo %(max)d): possibile zip bomb.")
            % {"n": len(infos), "max": MAX_ENTRIES}
        )
    names: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name.lower() in seen:
            raise PreflightError(_("Il file .docx è danneggiato: la parte %(name)s è ripetuta.") % {"name": name})
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise PreflightError(_("Il file .docx è danneggiato: nome di parte non valido."))
        if info.flag_bits & 0x1:
            raise PreflightError(
                _("Il file è protetto da password (cifrato): salvarlo senza password e ricaricarlo.")
            )
        if posixpath.basename(name).lower() in ("vbaproject.bin", "vbadata.xml"):
            raise PreflightError(_("Il documento contiene macro (vbaProject.bin): caricare un .docx senza macro."))
        total += info.file_size
        if total > unzip_max_bytes():
            raise PreflightError(
                _("Il file si espande oltre %(limit)s una volta decompresso: possibile zip bomb.")
                % {"limit": _mb(unzip_max_bytes())}
            )
        if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PreflightError(
                _("Il file ha un rapporto di compressione anomalo (oltre %(ratio)d:1): possibile zip bomb.")
                % {"ratio": MAX_RATIO}
            )
        names[name] = info
        seen.add(name.lower())
    return names


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError,
            zlib.error):
        raise PreflightError(_("Il file .docx è danneggiato e non può essere letto.")) from None


def _parse(archive, names, name) -> etree._Element:
    if name not in names:
        raise PreflightError(_("Il file non è un documento Word .docx (manca %(part)s).") % {"part": name})
    try:
        return etree.fromstring(_read(archive, names[name]), _XML_PARSER)
    except etree.XMLSyntaxError:
        raise PreflightError(_("Il file .docx è danneggiato: la parte %(part)s non è XML valido.") % {"part": name}) \
            from None


def _check_package(archive, names) -> None:
    """The package says it is a Word document (not a macro document, a template, a spreadsheet...)."""
    if "mimetype" in names and "[Content_Types].xml" not in names:
        raise PreflightError(
            _("Il file è un documento OpenDocument (.odt o simile), non un .docx: salvarlo in formato Word.")
        )
    types = _parse(archive, names, "[Content_Types].xml")
    rels = _parse(archive, names, "_rels/.rels")
    overrides = {
        el.get("PartName", "").lstrip("/"): el.get("ContentType", "").lower()
        for el in types if el.tag.endswith("}Override")
    }
    defaults = {el.get("Extension", "").lower(): el.get("ContentType", "").lower()
                for el in types if el.tag.endswith("}Default")}
    every_type = set(overrides.values()) | set(defaults.values())
    if any("macroenabled" in t or "vbaproject" in t or "vbadata" in t for t in every_type):
        raise PreflightError(_("Il documento contiene macro (.docm): caricare un .docx senza macro."))
    targets = [
        el.get("Target", "").lstrip("/")
        for el in rels
        if el.get("Type") in (OFFICE_DOCUMENT_REL, STRICT_OFFICE_DOCUMENT_REL)
    ]
    if len(targets) != 1:
        raise PreflightError(_("Il file non è un documento Word .docx (contenuto non riconosciuto)."))
    main = posixpath.normpath(targets[0])
    main_type = overrides.get(main) or defaults.get(posixpath.splitext(main)[1].lstrip(".").lower(), "")
    if main_type in TEMPLATE_MAINS:
        raise PreflightError(_("Il file è un modello di Word (.dotx/.dotm): salvarlo come documento .docx."))
    if main_type != DOCX_MAIN:
        raise PreflightError(_("Il file non è un documento Word .docx (contenuto non riconosciuto)."))
    if main not in names:
        raise PreflightError(_("Il file non è un documento Word .docx (manca %(part)s).") % {"part": main})


def _scan_parts(archive, infos) -> None:
    """No part declares a DTD or an entity (XXE, billion laughs), and every XML part is well formed."""
    for info in infos:
        if info.is_dir():
            continue
        tail = b""
        try:
            with archive.open(info) as fh:
                while chunk := fh.read(CHUNK):
                    window = (tail + chunk).lower()
                    if any(p in window for p in _FORBIDDEN_PATTERNS):
                        raise PreflightError(
                            _("Il documento contiene una dichiarazione DTD o ENTITY (in %(part)s): non è ammessa.")
                            % {"part": info.filename}
                        )
                    tail = window[-_LONGEST_PATTERN:]
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, zlib.error):
            raise PreflightError(_("Il file .docx è danneggiato e non può essere letto.")) from None
        if re.search(r"\.(xml|rels)$", info.filename, re.IGNORECASE):
            try:
                etree.fromstring(archive.read(info), _XML_PARSER)
            except etree.XMLSyntaxError:
                raise PreflightError(
                    _("Il file .docx è danneggiato: la parte %(part)s non è XML valido.") % {"part": info.filename}
                ) from None


def _check_opens(data: bytes) -> None:
    try:
        docx.Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - whatever python-docx chokes on, the user sees one message
        raise PreflightError(_("Il file .docx è danneggiato e non può essere aperto.")) from None


# --- PDF (signed originals) -----------------------------------------------------------------------------------

PDF_MAGIC = b"%PDF-"
MAX_PDF_OBJECTS = 200_000
MAX_PDF_PAGES = 2000
# Names a viewer acts on: scripts, launched programs, embedded files and multimedia, XFA forms (which run scripts).
_ACTIVE_PDF_NAMES = {
    "/JavaScript": "JavaScript", "/JS": "JavaScript", "/Launch": "Launch", "/EmbeddedFile": "embedded file",
    "/EmbeddedFiles": "embedded file", "/RichMedia": "RichMedia", "/XFA": "XFA", "/SubmitForm": "SubmitForm",
    "/ImportData": "ImportData",
}
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Only long names in the raw scan: a three-letter name like /JS turns up by chance in compressed binary streams.
_RAW_ACTIVE = re.compile(rb"/(JavaScript|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")


def preflight_pdf(data: bytes) -> None:
    """Raise PreflightError unless `data` is a readable, unencrypted PDF with no scripts, embedded files, launch
    actions, multimedia or XFA forms. The whole object graph reachable from the trailer is walked (object streams
    included, through pypdf), and the raw bytes are scanned too with `#xx` name escapes decoded."""
    check_size(len(data))
    head = data[:1024]
    if PDF_MAGIC not in head:
        raise PreflightError(_("Il file non è un PDF (contenuto non riconosciuto)."))
    _scan_pdf_bytes(data)
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PreflightError(
                _("Il PDF è cifrato o protetto da password: caricare una copia senza protezione.")
            )
        pages = len(reader.pages)
        trailer = reader.trailer
        _walk_pdf(trailer)
    except PreflightError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            zlib.error, OSError, NotImplementedError):
        raise PreflightError(_("Il PDF è danneggiato e non può essere letto.")) from None
    if pages == 0:
        raise PreflightError(_("Il PDF non ha pagine."))
    if pages > MAX_PDF_PAGES:
        raise PreflightError(
            _("Il PDF ha troppe pagine (%(n)d, massimo %(max)d).") % {"n": pages, "max": MAX_PDF_PAGES}
        )


def _refuse_active(what: str):
    if what == "embedded file":
        raise PreflightError(_("Il PDF contiene file incorporati (allegati): non sono ammessi."))
    if what == "JavaScript":
        raise PreflightError(_("Il PDF contiene codice JavaScript: non è ammesso."))
    raise PreflightError(
        _("Il PDF contiene contenuti attivi (%(what)s): non sono ammessi.") % {"what": what}
    )


def _scan_pdf_bytes(data: bytes) -> None:
    if b"/Encrypt" in data:
        raise PreflightError(_("Il PDF è cifrato o protetto da password: caricare una copia senza protezione."))
    unescaped = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    match = _RAW_ACTIVE.search(unescaped)
    if match:
        _refuse_active(_ACTIVE_PDF_NAMES["/" + match.group(1).decode()])


def _walk_pdf(root) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    count = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            count += 1
            if count > MAX_PDF_OBJECTS:
                raise PreflightError(_("Il PDF contiene troppi oggetti: struttura anomala."))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for name, value in obj.items():
                if name in _ACTIVE_PDF_NAMES:
                    _refuse_active(_ACTIVE_PDF_NAMES[name])
                if isinstance(value, NameObject) and value in _ACTIVE_PDF_NAMES:
                    _refuse_active(_ACTIVE_PDF_NAMES[value])
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject) and obj in _ACTIVE_PDF_NAMES:
            _refuse_active(_ACTIVE_PDF_NAMES[obj])
