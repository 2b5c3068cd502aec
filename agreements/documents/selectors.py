"""Reads of an agreement's documents for the pages."""

from agreements.common.roles import Role
from agreements.models import Agreement, DocumentVersion

from .render import DOCX_TYPE
from .signatures import describe

# Who writes documents: the drafting office and the Giunta secretariat (notices); administrators manage templates.
WRITER_ROLES = (Role.DRAFTER, Role.SECRETARIAT, Role.ADMIN)


def versions_for(agreement: Agreement) -> list[DocumentVersion]:
    """The agreement's documents, by type and newest first, each marked `is_docx` and `has_pdf` for the page, and
    with `signature_lines` (who signed, when, what is known of the chain) for a signed original."""
    versions = list(
        DocumentVersion.objects.filter(agreement=agreement)
        .select_related("author", "template_revision", "derived_from")
        .order_by("doc_type", "-number")
    )
    converted = {v.derived_from_id for v in versions if v.source == DocumentVersion.Source.PDF}
    for v in versions:
        v.is_docx = v.content_type == DOCX_TYPE
        v.has_pdf = v.pk in converted
        v.signature_lines = describe(v.signature)
    return versions


def pdf_of(version: DocumentVersion) -> DocumentVersion | None:
    return DocumentVersion.objects.filter(derived_from=version, source=DocumentVersion.Source.PDF).first()


def read_version(version: DocumentVersion) -> bytes:
    with version.file.open("rb") as fh:
        return fh.read()
