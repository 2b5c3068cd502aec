"""Writes of an agreement's documents: generate from a template, upload, convert to PDF, revise a template.
Each is one transaction and one audit event; every file becomes a new DocumentVersion, nothing is overwritten."""

import hashlib
import posixpath
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agreements.common.audit import audit_record
from agreements.common.enqueue import CONVERT_TO_PDF, SEARCH_INDEX_DOCUMENT, enqueue_after_commit
from agreements.common.errors import PermissionDeniedError
from agreements.common.roles import Role, has_role
from agreements.models import (
    Activity,
    Agreement,
    DocumentTemplate,
    DocumentVersion,
)
from agreements.models.documents import ACTIVITY_DOCUMENT_TYPES, AGREEMENT_DOCUMENT_TYPES, DocumentType

from . import signatures
from .pdf import PdfConversionError, docx_to_pdf
from .preflight import OLE_MAGIC, PDF_MAGIC, ZIP_MAGIC, PreflightError, check_size, preflight_docx, preflight_pdf
from .render import (
    DOCX_TYPE,
    PDF_TYPE,
    DocumentError,
    TemplateInvalidError,
    open_sentences,
    render_context,
    render_docx,
    sample_context,
    template_info,
    template_source,
    unknown_fields,
)
from .selectors import WRITER_ROLES, pdf_of, read_version

# --- Writes -------------------------------------------------------------------------------------------------


def _require_writer(actor):
    if not has_role(actor, *WRITER_ROLES):
        raise PermissionDeniedError(_("Non hai il ruolo necessario per gestire i documenti dell'accordo."))


def _safe_stem(filename: str) -> str:
    stem = posixpath.splitext(posixpath.basename((filename or "").replace("\\", "/")))[0]
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._")[:80]
    return stem or "documento"


@dataclass(frozen=True)
class RenderedDocument:
    """A document ready to be stored as a version: its bytes and the bookkeeping the version row records."""

    data: bytes
    sha256: str
    size: int

    @classmethod
    def of(cls, data: bytes) -> "RenderedDocument":
        return cls(data=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def render_version(template: bytes, context: dict) -> RenderedDocument:
    """Render, scan and hash: everything document_generate does before its database write."""
    return RenderedDocument.of(render_docx(template, context))


# The `step` of an activity's attachment (an agreement's version records the agreement's state).
ACTIVITY_STEP = "attivita"


def _store_version(*, agreement=None, activity=None, actor, doc_type, source, document: RenderedDocument,
                   filename: str, content_type: str, action: str, derived_from=None, template_revision=None,
                   detail=None, signature=None) -> DocumentVersion:
    """A new version of the agreement's (or the activity's) document of `doc_type`; the caller holds the owner's
    row lock."""
    data = document.data
    owner = {"agreement": agreement} if agreement is not None else {"activity": activity}
    last = DocumentVersion.objects.filter(doc_type=doc_type, **owner).aggregate(n=Max("number"))["n"]
    version = DocumentVersion(
        **owner, doc_type=doc_type, number=(last or 0) + 1, source=source, filename=filename,
        content_type=content_type, sha256=document.sha256, size=document.size,
        step=agreement.status if agreement is not None else ACTIVITY_STEP, derived_from=derived_from,
        template_revision=template_revision, author=actor, signature=signature or {},
    )
    version.file.save(filename, ContentFile(data), save=False)
    try:
        version.save()
        audit_record(
            actor=actor, agreement=agreement, action=action,
            detail={"doc_type": doc_type, "version": version.number, "sha256": version.sha256, "size": version.size,
                    "filename": filename, **({"activity": activity.pk} if activity is not None else {}),
                    **(detail or {})},
        )
    except Exception:
        version.file.storage.delete(version.file.name)
        raise
    return version


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().select_related("counterpart").get(pk=agreement.pk)


def render_for_agreement(agreement: Agreement, template_name: str) -> tuple[bytes, DocumentTemplate | None]:
    """Render without storing (the command line uses this)."""
    source, revision = template_source(template_name)
    return render_docx(source, render_context(agreement)), revision


@transaction.atomic
def document_generate(*, agreement: Agreement, template_name: str, actor) -> DocumentVersion:
    """Generate a document from a template: a new version of the agreement's document of that type."""
    _require_writer(actor)
    info = template_info(template_name)
    agreement = _lock(agreement)
    source, revision = template_source(template_name)
    document = render_version(source, render_context(agreement))
    return _store_version(
        agreement=agreement, actor=actor, doc_type=info.doc_type, source=DocumentVersion.Source.GENERATED,
        document=document, filename=f"{agreement.reference}_{info.name}.docx", content_type=DOCX_TYPE,
        action="document_generate", template_revision=revision,
        detail={"template": info.name, "template_revision": revision.revision if revision else None},
    )


def _read_bytes(upload) -> bytes:
    check_size(upload.size)
    upload.seek(0)
    data = upload.read(settings.INTESE["UPLOAD_MAX_BYTES"] + 1)
    check_size(len(data))
    return data


def _read_upload(upload) -> bytes:
    data = _read_bytes(upload)
    preflight_docx(data)
    return data


P7M_TYPE = "application/pkcs7-mime"


def _signed_stem(filename: str) -> str:
    """The stem of `intesa.pdf.p7m` is `intesa`: the extensions are the content's, added back by the caller."""
    stem = _safe_stem(filename)
    while (low := stem.lower()).endswith((".pdf", ".docx", ".p7m")):
        stem = stem[: low.rfind(".")].rstrip("._")
    return stem or "documento"


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the preflight (and, for a signed original, the signature check)."""

    extension: str
    content_type: str
    signature: dict


def _check_signed_copy(data: bytes, *, unsigned_pdf: bool = False) -> CheckedUpload:
    """A signed copy is a signed PDF (PAdES), a .p7m envelope (CAdES) holding a PDF or a .docx, or a .docx.
    The content decides, never the name; a signature that does not match its content is a refusal. With
    `unsigned_pdf` a PDF without signatures is accepted too (a signed one is still verified)."""
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        preflight_docx(data)
        return CheckedUpload(".docx", DOCX_TYPE, {})
    # A DER envelope holding a PDF shows %PDF- early on too: a leading SEQUENCE tag says .p7m first.
    if not data.startswith(b"\x30") and PDF_MAGIC in data[:1024]:
        preflight_pdf(data)
        if unsigned_pdf and not signatures.pdf_is_signed(data):
            return CheckedUpload(".pdf", PDF_TYPE, {})
        return CheckedUpload(".pdf", PDF_TYPE, signatures.verify_pdf(data))
    try:
        envelope = signatures.open_p7m(data)
    except signatures.SignatureError:
        if unsigned_pdf:
            raise PreflightError(
                _("Il file non è un documento Word .docx, un PDF né una busta firmata .p7m (contenuto non "
                  "riconosciuto).")
            ) from None
        raise PreflightError(
            _("Il file non è un PDF firmato, una busta firmata .p7m né un documento Word .docx (contenuto non "
              "riconosciuto).")
        ) from None
    inner = envelope.content
    if PDF_MAGIC in inner[:1024]:
        preflight_pdf(inner)
        inner_ext = ".pdf"
    elif inner.startswith((ZIP_MAGIC, OLE_MAGIC)):
        preflight_docx(inner)
        inner_ext = ".docx"
    else:
        raise PreflightError(_("Il documento nel .p7m non è un PDF né un .docx: non è ammesso."))
    result = signatures.verify_p7m(envelope)
    result["content"] = inner_ext.lstrip(".")
    return CheckedUpload(f"{inner_ext}.p7m", P7M_TYPE, result)


@transaction.atomic
def document_upload(*, agreement: Agreement, doc_type: str, upload, actor) -> DocumentVersion:
    """Store a revised or signed text uploaded by a user, after the preflight (refusal stores nothing). A revised
    text is a .docx; a signed copy may also be a signed original (PAdES PDF, CAdES .p7m), verified and its result
    stored with the version."""
    _require_writer(actor)
    if doc_type not in AGREEMENT_DOCUMENT_TYPES:
        raise DocumentError(_("Tipo di documento sconosciuto: %(t)s") % {"t": doc_type})
    data = _read_bytes(upload)
    if doc_type == DocumentType.SIGNED_COPY:
        checked = _check_signed_copy(data)
    else:
        preflight_docx(data)
        checked = CheckedUpload(".docx", DOCX_TYPE, {})
    agreement = _lock(agreement)
    detail = {"original_name": str(upload.name)[:200]}
    if checked.signature:
        detail["signed_by"] = [s["signer"] for s in checked.signature["signers"]]
        detail["signature_format"] = checked.signature["format"]
    version = _store_version(
        agreement=agreement, actor=actor, doc_type=doc_type, source=DocumentVersion.Source.UPLOADED,
        document=RenderedDocument.of(data),
        filename=f"{_signed_stem(upload.name)}{checked.extension}", content_type=checked.content_type,
        action="document_upload", detail=detail, signature=checked.signature,
    )
    # The search (agreements/search) indexes the file's text in the worker, once this upload has committed.
    enqueue_after_commit(SEARCH_INDEX_DOCUMENT, version.pk)
    return version


def _signature_detail(checked: CheckedUpload) -> dict:
    if not checked.signature:
        return {}
    return {"signed_by": [s["signer"] for s in checked.signature["signers"]],
            "signature_format": checked.signature["format"]}


def activity_attachment_store(*, activity: Activity, doc_type: str, upload, actor) -> DocumentVersion:
    """Store an attachment of an activity of the register (agenda, minutes, note) as a new document version, with
    the preflight of every upload: a .docx, a PDF (signed or not; a signed one is verified) or a .p7m envelope.
    Called by activities.services.activity_attachment_upload, which checks who may attach and holds the activity's
    row lock in its transaction; a refusal raises before anything is written."""
    if doc_type not in ACTIVITY_DOCUMENT_TYPES:
        raise DocumentError(_("Tipo di allegato sconosciuto: %(t)s") % {"t": doc_type})
    data = _read_bytes(upload)
    checked = _check_signed_copy(data, unsigned_pdf=True)
    version = _store_version(
        activity=activity, actor=actor, doc_type=doc_type, source=DocumentVersion.Source.UPLOADED,
        document=RenderedDocument.of(data), filename=f"{_signed_stem(upload.name)}{checked.extension}",
        content_type=checked.content_type, action="activity_attachment_upload",
        detail={"original_name": str(upload.name)[:200], "title": activity.title, **_signature_detail(checked)},
        signature=checked.signature,
    )
    # The search indexes the attachment's text in the worker, once the upload has committed (as for agreements).
    enqueue_after_commit(SEARCH_INDEX_DOCUMENT, version.pk)
    return version


def pdf_request(*, version: DocumentVersion, actor) -> bool:
    """Queue the PDF conversion of a .docx version (after commit). False when the PDF already exists."""
    _require_writer(actor)
    if version.source == DocumentVersion.Source.PDF or version.content_type != DOCX_TYPE:
        raise DocumentError(_("Si può convertire in PDF solo una versione .docx."))
    if pdf_of(version) is not None:
        return False
    enqueue_after_commit(CONVERT_TO_PDF, version.pk, actor.pk)
    return True


def pdf_convert(*, version: DocumentVersion, actor) -> DocumentVersion:
    """Convert a .docx version to PDF, stored as a new version derived from it. Running it twice stores one PDF.

    LibreOffice runs outside any transaction (it may take up to PDF_TIMEOUT seconds); only the write is atomic.
    """
    _require_writer(actor)
    existing = pdf_of(version)
    if existing is not None:
        return existing
    if version.source == DocumentVersion.Source.PDF or version.content_type != DOCX_TYPE:
        raise DocumentError(_("Si può convertire in PDF solo una versione .docx."))
    try:
        pdf = docx_to_pdf(read_version(version))
    except PdfConversionError as exc:
        with transaction.atomic():
            audit_record(actor=actor, agreement=version.agreement, action="pdf_convert_failed",
                         detail={"doc_type": version.doc_type, "version": version.number, "error": exc.message})
        raise
    with transaction.atomic():
        source = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        existing = pdf_of(source)
        if existing is not None:
            return existing
        agreement = _lock(source.agreement)
        return _store_version(
            agreement=agreement, actor=actor, doc_type=source.doc_type, source=DocumentVersion.Source.PDF,
            document=RenderedDocument.of(pdf),
            filename=f"{posixpath.splitext(source.filename)[0]}.pdf", content_type=PDF_TYPE, action="pdf_convert",
            derived_from=source, detail={"from_version": source.number},
        )


@transaction.atomic
def template_upload(*, name: str, upload, actor) -> DocumentTemplate:
    """An administrator uploads a new revision of a template: same preflight as any upload, then every field
    it uses must exist in the rendering context and a trial render must succeed."""
    if not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Solo un amministratore può caricare i modelli."))
    info = template_info(name)
    data = _read_upload(upload)
    unknown = unknown_fields(data)
    if unknown:
        raise TemplateInvalidError(
            _("Il modello usa campi che non esistono: %(fields)s. Campi disponibili: vedere "
              "«manage.py render_document --fields».") % {"fields": ", ".join(unknown)}
        )
    render_docx(data, sample_context())
    left_open = open_sentences(data)
    if left_open:
        raise TemplateInvalidError(
            _("Con un elenco vuoto (per esempio nessun ambito di cooperazione) il modello lascia una frase aperta: "
              "«%(sentence)s». Rendere la frase condizionale ({%% if … is defined %%}…{%% endif %%}).")
            % {"sentence": left_open[0][-80:]}
        )
    last = DocumentTemplate.objects.filter(name=name).aggregate(n=Max("revision"))["n"]
    revision = DocumentTemplate(
        name=info.name, revision=(last or 0) + 1, sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor,
    )
    revision.file.save(f"{info.name}-r{revision.revision}.docx", ContentFile(data), save=False)
    try:
        revision.save()
        audit_record(actor=actor, action="template_upload",
                     detail={"template": info.name, "revision": revision.revision, "sha256": revision.sha256})
    except Exception:
        revision.file.storage.delete(revision.file.name)
        raise
    return revision


def pdf_convert_job(*, version_id: int, user_id: int) -> int:
    """The queued conversion (worker) of pdf_request: idempotent, a second run finds the PDF and stores nothing."""
    version = DocumentVersion.objects.select_related("agreement").get(pk=version_id)
    return pdf_convert(version=version, actor=get_user_model().objects.get(pk=user_id)).pk
