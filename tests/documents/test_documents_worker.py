"""PDF conversion through a real Celery worker process on Redis, and LibreOffice's failure modes."""

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from agreements.documents import render
from agreements.documents import services as documents
from agreements.documents.pdf import PdfConversionError, docx_to_pdf
from agreements.models import AuditEvent, DocumentVersion
from tests.support.documents import stored_files

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, what: str, limit: float = 180.0):
    """Poll until `condition()` is true; fail loudly with `what` after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def celery_worker_process(transactional_db, media_root, tmp_path):
    """A real `celery -A config worker` on the test database, the test Redis DB and this test's MEDIA_ROOT."""
    broker = os.environ["CELERY_BROKER_URL"]
    redis.Redis.from_url(broker).flushdb()
    (tmp_path / "worker_settings.py").write_text(
        "from config.settings.test import *  # noqa\n"
        f"MEDIA_ROOT = {str(media_root)!r}\n"
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
    }
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1", "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"docs-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: b"ready." in log.read_bytes() or process.poll() is not None, "the worker to start", 90)
        assert process.poll() is None, log.read_text()
        assert "intese.convert_to_pdf" in log.read_text(), log.read_text()
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def queue_drained(broker_url: str) -> bool:
    client = redis.Redis.from_url(broker_url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


@pytest.mark.worker
def test_pdf_requested_on_the_page_is_made_by_the_worker_and_stored_as_a_version(
    celery_worker_process, client, drafter, nouvelle_aquitaine, media_root
):
    _process, log = celery_worker_process
    # given a generated bilingual Intesa
    source = documents.document_generate(agreement=nouvelle_aquitaine, template_name="intesa_bilingue", actor=drafter)
    # when the drafter asks for its PDF
    client.force_login(drafter)
    response = client.post(reverse("documents:pdf", args=[nouvelle_aquitaine.reference, source.pk]), follow=True)
    assert "Conversione in PDF richiesta" in str(list(response.context["messages"])[0])
    # then the worker converts it with LibreOffice and stores the PDF as a new version derived from it
    pdf = wait_for(lambda: DocumentVersion.objects.filter(derived_from=source, source="pdf").first(),
                   f"the PDF version (worker log: {log})")
    with pdf.file.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF-") and b"/Type /Page" in data.replace(b"/Type/Page", b"/Type /Page")
    assert pdf.sha256 == hashlib.sha256(data).hexdigest() and pdf.size == len(data)
    assert (pdf.number, pdf.doc_type, pdf.author, pdf.content_type) == (2, source.doc_type, drafter, "application/pdf")
    assert pdf.filename.endswith(".pdf")
    wait_for(lambda: b"convert_to_pdf" in log.read_bytes() and b"succeeded" in log.read_bytes(), "the worker's log")
    assert AuditEvent.objects.filter(action="pdf_convert", agreement=nouvelle_aquitaine, actor=drafter).count() == 1
    # and asking again does not queue a second conversion
    again = client.post(reverse("documents:pdf", args=[nouvelle_aquitaine.reference, source.pk]), follow=True)
    assert "esiste già" in str(list(again.context["messages"])[0])


@pytest.mark.worker
def test_the_same_conversion_delivered_twice_stores_one_pdf(celery_worker_process, drafter, nouvelle_aquitaine,
                                                            media_root):
    from worker.tasks import convert_to_pdf

    source = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    convert_to_pdf.delay(source.pk, drafter.pk)
    convert_to_pdf.delay(source.pk, drafter.pk)
    wait_for(lambda: DocumentVersion.objects.filter(derived_from=source).exists(), "the PDF")
    wait_for(lambda: queue_drained(os.environ["CELERY_BROKER_URL"]), "both deliveries to be processed")
    assert DocumentVersion.objects.filter(derived_from=source, source="pdf").count() == 1
    assert DocumentVersion.objects.filter(agreement=nouvelle_aquitaine).count() == 2
    assert len(stored_files(media_root)) == 2


# --- LibreOffice failures, in process -----------------------------------------------------------------------


def soffice_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("intese-soffice-*")}


def test_a_conversion_over_the_time_limit_is_killed_with_a_clear_error():
    before = soffice_dirs()
    data = render.TEMPLATES["memorandum"].shipped_path.read_bytes()
    with pytest.raises(PdfConversionError, match="tempo massimo"):
        docx_to_pdf(data, timeout=0.05)
    assert soffice_dirs() <= before  # its private profile and files are gone


@pytest.mark.django_db
def test_missing_libreoffice_is_a_clear_error_recorded_in_the_audit_trail(settings, nouvelle_aquitaine, drafter,
                                                                          media_root):
    source = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    settings.INTESE = {**django_settings.INTESE, "LIBREOFFICE": "/nonexistent/soffice"}
    with pytest.raises(PdfConversionError, match="non è disponibile"):
        documents.pdf_convert(version=source, actor=drafter)
    assert not DocumentVersion.objects.filter(source="pdf").exists()
    assert AuditEvent.objects.filter(action="pdf_convert_failed", agreement=nouvelle_aquitaine).exists()


@pytest.mark.django_db
def test_only_docx_versions_convert(nouvelle_aquitaine, drafter, media_root):
    source = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    pdf = documents.pdf_convert(version=source, actor=drafter)
    assert documents.pdf_convert(version=source, actor=drafter) == pdf  # idempotent in process too
    with pytest.raises(render.DocumentError):
        documents.pdf_request(version=pdf, actor=drafter)
