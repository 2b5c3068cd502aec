"""Versions (sha256, author, step, never overwritten), the pages and their permissions, template revisions."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from agreements.common.errors import PermissionDeniedError
from agreements.documents import render
from agreements.documents import selectors as document_selectors
from agreements.documents import services as documents
from agreements.models import Agreement, AuditEvent, DocumentTemplate, DocumentVersion
from tests.support.documents import all_text, docx_bytes, open_docx, stored_files
from tests.support.factories import AgreementFactory, SectorFactory, referent
from tests.support.register import drained, response_body

pytestmark = pytest.mark.django_db


def test_each_generation_is_a_new_version_and_old_files_are_never_overwritten(nouvelle_aquitaine, drafter,
                                                                              media_root):
    # given a first generated text
    v1 = documents.document_generate(agreement=nouvelle_aquitaine, template_name="intesa_bilingue", actor=drafter)
    with v1.file.open("rb") as stored:
        v1_bytes = stored.read()
    # when the record changes and the text is generated again
    Agreement.objects.filter(pk=nouvelle_aquitaine.pk).update(title="Titolo aggiornato")
    v2 = documents.document_generate(agreement=nouvelle_aquitaine, template_name="intesa_bilingue", actor=drafter)
    # then there are two versions of the same document, each with its own file, hash, author and step
    assert (v1.number, v2.number) == (1, 2)
    assert v1.doc_type == v2.doc_type == "intesa_bilingue"
    assert v1.file.name != v2.file.name
    v1.refresh_from_db()
    with v1.file.open("rb") as fh:
        assert fh.read() == v1_bytes
    assert hashlib.sha256(v1_bytes).hexdigest() == v1.sha256 and v1.size == len(v1_bytes)
    with v2.file.open("rb") as fh:
        v2_bytes = fh.read()
    assert hashlib.sha256(v2_bytes).hexdigest() == v2.sha256 != v1.sha256
    assert "Titolo aggiornato" in all_text(open_docx(v2_bytes))
    assert "Titolo aggiornato" not in all_text(open_docx(v1_bytes))
    assert v2.author == drafter and v2.step == "in_force" and v2.source == "generated"
    assert len(stored_files(media_root)) == 2
    # and each generation is in the audit trail with its hash
    events = AuditEvent.objects.filter(action="document_generate", agreement=nouvelle_aquitaine).order_by("id")
    assert [e.detail["sha256"] for e in events] == [v1.sha256, v2.sha256]
    assert all(e.actor == drafter for e in events)


def test_upload_after_generation_continues_the_numbering_of_that_document(nouvelle_aquitaine, drafter, media_root):
    documents.document_generate(agreement=nouvelle_aquitaine, template_name="intesa_bilingue", actor=drafter)
    revised = documents.document_upload(
        agreement=nouvelle_aquitaine, doc_type="intesa_bilingue", actor=drafter,
        upload=SimpleUploadedFile("../../rivisto.docx", docx_bytes("Testo rivisto")),
    )
    assert revised.number == 2 and revised.source == "uploaded"
    assert revised.filename == "rivisto.docx"
    assert revised.file.name.startswith(f"agreements/{nouvelle_aquitaine.reference}/intesa_bilingue/v2-")
    assert AuditEvent.objects.filter(action="document_upload", detail__version=2).exists()


def test_a_version_row_cannot_reuse_a_number(nouvelle_aquitaine, drafter, media_root):
    from django.db import IntegrityError, transaction

    v1 = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.create(
            agreement=nouvelle_aquitaine, doc_type=v1.doc_type, number=1, source="uploaded", file="x.docx",
            filename="x.docx", content_type="x", sha256="0" * 64, size=1, step="x", author=drafter,
        )


def test_roles_without_drafting_rights_cannot_write_documents(nouvelle_aquitaine, observer, director, media_root):
    for user in (observer, director):
        with pytest.raises(PermissionDeniedError):
            documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=user)
        with pytest.raises(PermissionDeniedError):
            documents.document_upload(agreement=nouvelle_aquitaine, doc_type="testo_revisionato", actor=user,
                                      upload=SimpleUploadedFile("a.docx", docx_bytes("x")))
    assert DocumentVersion.objects.count() == 0 and stored_files(media_root) == []


# --- pages and permissions ------------------------------------------------------------------------------------


def test_versions_page_lists_versions_and_downloads_the_exact_bytes(client, nouvelle_aquitaine, drafter, media_root):
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    client.force_login(drafter)
    page = client.get(reverse("documents:versions", args=[nouvelle_aquitaine.reference]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Memorandum of Understanding" in html and version.sha256[:12] in html and "v1" in html
    download = client.get(reverse("documents:download", args=[nouvelle_aquitaine.reference, version.pk]))
    assert download.status_code == 200
    assert response_body(download) == document_selectors.read_version(version)
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == render.DOCX_TYPE


def test_referent_of_another_dg_gets_404_everywhere(client, nouvelle_aquitaine, drafter, media_root):
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    health = SectorFactory(code="dg-sanita")
    assert health not in nouvelle_aquitaine.dgs.all()
    client.force_login(referent(health, "referente-sanita"))
    ref = nouvelle_aquitaine.reference
    assert client.get(reverse("documents:versions", args=[ref])).status_code == 404
    assert client.get(reverse("documents:download", args=[ref, version.pk])).status_code == 404
    assert client.post(reverse("documents:generate", args=[ref]), {"template": "memorandum"}).status_code == 404
    assert client.post(reverse("documents:pdf", args=[ref, version.pk])).status_code == 404
    upload = client.post(reverse("documents:upload", args=[ref]),
                         {"doc_type": "testo_revisionato", "file": SimpleUploadedFile("a.docx", docx_bytes("x"))})
    assert upload.status_code == 404
    assert DocumentVersion.objects.count() == 1


def test_referent_of_an_involved_dg_downloads_but_cannot_generate(client, nouvelle_aquitaine, drafter, media_root):
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    own = referent(nouvelle_aquitaine.dgs.get(code="dg-agri"), "referente-agri-2")
    client.force_login(own)
    ref = nouvelle_aquitaine.reference
    assert drained(client.get(reverse("documents:download", args=[ref, version.pk]))).status_code == 200
    response = client.post(reverse("documents:generate", args=[ref]), {"template": "memorandum"}, follow=True)
    assert "ruolo" in str(list(response.context["messages"])[0])
    assert DocumentVersion.objects.count() == 1


def test_a_version_of_another_agreement_is_404_through_this_agreements_url(client, nouvelle_aquitaine, drafter,
                                                                           media_root):
    other = AgreementFactory(drafted_by=drafter)
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    client.force_login(drafter)
    assert client.get(reverse("documents:download", args=[other.reference, version.pk])).status_code == 404


def test_generate_from_the_page_and_missing_field_message(client, nouvelle_aquitaine, drafter, media_root):
    client.force_login(drafter)
    ref = nouvelle_aquitaine.reference
    ok = client.post(reverse("documents:generate", args=[ref]), {"template": "notifica_governo"}, follow=True)
    assert "Documento generato" in str(list(ok.context["messages"])[0])
    Agreement.objects.filter(pk=nouvelle_aquitaine.pk).update(dgr_number="")
    refused = client.post(reverse("documents:generate", args=[ref]), {"template": "notifica_governo"}, follow=True)
    assert "agreement.dgr_number" in str(list(refused.context["messages"])[0])
    unknown = client.post(reverse("documents:generate", args=[ref]), {"template": "nope"}, follow=True)
    assert list(unknown.context["messages"])
    assert DocumentVersion.objects.count() == 1


def test_versions_partial_renders_with_agreement_and_versions(rf, nouvelle_aquitaine, drafter, media_root):
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    request = rf.get("/")
    request.user = drafter
    html = render_to_string("documents/_versions.html", {
        "agreement": nouvelle_aquitaine, "versions": document_selectors.versions_for(nouvelle_aquitaine),
    }, request=request)
    assert reverse("documents:download", args=[nouvelle_aquitaine.reference, version.pk]) in html
    assert "Converti in PDF" not in html  # only with can_write


def test_pdf_request_is_refused_for_roles_without_rights(nouvelle_aquitaine, drafter, observer, media_root):
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    with pytest.raises(PermissionDeniedError):
        documents.pdf_request(version=version, actor=observer)


# --- template revisions ---------------------------------------------------------------------------------------


def test_template_upload_lists_unknown_fields_and_stores_nothing(admin_user, media_root):
    bad = docx_bytes("{{ agreement.title }} {{ agreement.nonexistent }} {{ firmatario }}",
                     "{% for a in articles %}{{ a.text_it }} {{ a.footnote }}{% endfor %}")
    with pytest.raises(render.TemplateInvalidError) as refused:
        documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", bad), actor=admin_user)
    message = refused.value.message
    for field in ("agreement.nonexistent", "firmatario", "articles[].footnote"):
        assert field in message
    assert "agreement.title" not in message.split("Campi disponibili")[0]
    assert DocumentTemplate.objects.count() == 0 and stored_files(media_root) == []


def test_template_revision_is_used_by_the_next_generation(admin_user, drafter, nouvelle_aquitaine, media_root):
    good = docx_bytes("Revisione 2 del memorandum: {{ agreement.title }}",
                      "{% if agreement.signed_on is defined %}Firmato il {{ agreement.signed_on }}{% endif %}")
    revision = documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", good),
                                         actor=admin_user)
    assert revision.revision == 1 and revision.sha256 == hashlib.sha256(good).hexdigest()
    version = documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    with version.file.open("rb") as stored:
        text = all_text(open_docx(stored.read()))
    assert "Revisione 2 del memorandum" in text and "Firmato il 20 aprile 2022" in text
    assert version.template_revision == revision
    assert AuditEvent.objects.filter(action="template_upload", detail__revision=1).exists()
    second = documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", good), actor=admin_user)
    assert second.revision == 2


def test_only_administrators_manage_templates(client, drafter, admin_user, media_root):
    with pytest.raises(PermissionDeniedError):
        documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", docx_bytes("x")),
                                  actor=drafter)
    client.force_login(drafter)
    assert client.get(reverse("documents:templates")).status_code == 403
    assert client.get(reverse("documents:template_download", args=["memorandum"])).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("documents:templates"))
    assert page.status_code == 200 and "agreement.dgr_number" in page.content.decode()
    shipped = client.get(reverse("documents:template_download", args=["memorandum"]))
    assert b"".join(shipped.streaming_content) == render.TEMPLATES["memorandum"].shipped_path.read_bytes()


def test_template_upload_page_shows_the_refusal(client, admin_user, media_root):
    client.force_login(admin_user)
    response = client.post(reverse("documents:templates"), {
        "name": "memorandum", "file": SimpleUploadedFile("m.docx", docx_bytes("{{ campo_inventato }}")),
    })
    assert response.status_code == 200
    assert "campo_inventato" in str(list(response.context["messages"])[0])
    assert DocumentTemplate.objects.count() == 0
