"""Celery tasks for documents: thin, calling the service (agreements.documents)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from agreements import documents
from agreements.models import DocumentVersion


@shared_task(acks_late=True)
def convert_to_pdf(version_id: int, user_id: int):
    """Convert a .docx version to PDF; idempotent (a second run finds the PDF and stores nothing)."""
    version = DocumentVersion.objects.select_related("agreement").get(pk=version_id)
    return documents.pdf_convert(version=version, actor=get_user_model().objects.get(pk=user_id)).pk
