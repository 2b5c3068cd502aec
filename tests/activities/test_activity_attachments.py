"""Attachments of an activity (agenda, minutes, note) are document versions: the same preflight as an agreement's
uploads, one audit event, listed on the activity's page, downloadable only by who may see the activity."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.activities.services import activity_attachment_upload, activity_create
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.models import ActivityKind, AuditEvent, DocumentVersion
from tests.documents.test_documents_preflight import HOSTILE_UPLOADS
from tests.support.documents import docx_bytes, stored_files
from tests.support.register import drained, response_body
from tests.support.signing import pdf_bytes, sign_pdf, tamper, throwaway_signer

pytestmark = pytest.mark.django_db


@pytest.fixture
def agri_delegation(drafter, dg_agri):
    return activity_create(actor=drafter, kind=ActivityKind.DELEGATION_RECEIVED, title="Delegazione Nouvelle-Aquitaine",
                           starts_on=datetime.date(2023, 5, 10), country_code="FR", dgs=[dg_agri])


def post_attachment(client, user, activity, name, data, doc_type="verbale_attivita"):
    client.force_login(user)
    return client.post(reverse("activities:attachment_upload", args=[activity.pk]),
                       {"doc_type": doc_type, "file": SimpleUploadedFile(name, data)}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_attachment_is_stored_as_a_version_listed_on_the_page_and_downloaded(client, drafter, agri_delegation,
                                                                                media_root):
    # given a drafter on the page of an activity with no attachment
    agenda = pdf_bytes("Agenda della delegazione: visita ai consorzi agroalimentari.")
    before = AuditEvent.objects.count()
    # when they upload the agenda (a plain PDF) and the minutes (a .docx) from the page
    first = post_attachment(client, drafter, agri_delegation, "Agenda 10 maggio.pdf", agenda, "agenda_attivita")
    second = post_attachment(client, drafter, agri_delegation, "verbale.docx", docx_bytes("Verbale dell'incontro."))
    # then each is a new version of the activity (not of an agreement), with its hash and one audit event
    assert "Allegato caricato" in messages_of(first)[0] and "Allegato caricato" in messages_of(second)[0]
    versions = {v.doc_type: v for v in DocumentVersion.objects.all()}
    assert set(versions) == {"agenda_attivita", "verbale_attivita"}
    pdf = versions["agenda_attivita"]
    assert (pdf.activity_id, pdf.agreement_id, pdf.number, pdf.source) == (agri_delegation.pk, None, 1, "uploaded")
    assert pdf.filename == "Agenda_10_maggio.pdf" and pdf.content_type == "application/pdf" and pdf.size == len(agenda)
    assert len(pdf.sha256) == 64 and pdf.author == drafter
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["activity_attachment_upload"] * 2
    assert events[0].detail["activity"] == agri_delegation.pk and events[0].detail["sha256"] == pdf.sha256
    assert events[0].actor == drafter and events[0].agreement is None
    assert len(stored_files(media_root)) == 2
    # and the page lists both, with links that download the very bytes uploaded
    html = client.get(reverse("activities:detail", args=[agri_delegation.pk])).content.decode()
    assert "Agenda_10_maggio.pdf" in html and "verbale.docx" in html
    link = reverse("activities:attachment_download", args=[agri_delegation.pk, pdf.pk])
    assert link in html
    response = client.get(link)
    assert response.status_code == 200 and response_body(response) == agenda
    # and a second agenda is version 2, the first one kept
    post_attachment(client, drafter, agri_delegation, "agenda.pdf", pdf_bytes("Agenda rivista."), "agenda_attivita")
    assert sorted(DocumentVersion.objects.filter(doc_type="agenda_attivita").values_list("number", flat=True)) == [1, 2]


def test_a_signed_pdf_attachment_is_verified_and_a_tampered_one_refused(client, drafter, agri_delegation,
                                                                        media_root):
    signer = throwaway_signer("Irene Priolo")
    signed = sign_pdf(pdf_bytes("Nota tecnica firmata."), signer)
    response = post_attachment(client, drafter, agri_delegation, "nota.pdf", signed, "nota_attivita")
    assert "Allegato caricato" in messages_of(response)[0]
    version = DocumentVersion.objects.get()
    assert version.signature["signers"][0]["signer"] == "Irene Priolo"
    assert "Irene Priolo" in response.content.decode()
    # a signed PDF whose signed bytes were changed is refused, and nothing more is written
    response = post_attachment(client, drafter, agri_delegation, "nota2.pdf",
                               tamper(signed, b"Nota tecnica firmata.", b"Nota tecnica falsata."), "nota_attivita")
    assert messages_of(response)[0].startswith("File rifiutato")
    assert DocumentVersion.objects.count() == 1 and len(stored_files(media_root)) == 1


BAD_FILES = [
    ("pdf-with-javascript", lambda: pdf_bytes("Agenda.", javascript=True), "javascript"),
    ("pdf-with-embedded-file", lambda: pdf_bytes("Agenda.", embedded_file=True), "allegat"),
    ("text-named-pdf", lambda: b"Agenda della visita, testo semplice.", "non riconosciuto"),
    # The .docx cases of the agreements' preflight (those that are a zip package, so read as a Word file).
    *[case for case in HOSTILE_UPLOADS[::3] if case[1]().startswith(b"PK\x03\x04")],
]


@pytest.mark.parametrize("name,build,reason", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_attachment_is_refused_with_a_reason_and_nothing_is_written(name, build, reason, client, drafter,
                                                                          agri_delegation, media_root):
    before = AuditEvent.objects.count()
    response = post_attachment(client, drafter, agri_delegation, "agenda.pdf", build())
    shown = messages_of(response)
    assert len(shown) == 1 and shown[0].startswith("File rifiutato"), shown
    assert reason.lower() in shown[0].lower(), shown[0]
    assert DocumentVersion.objects.count() == 0
    assert stored_files(media_root) == []
    assert AuditEvent.objects.count() == before


def test_an_unknown_attachment_type_is_refused(drafter, agri_delegation, media_root):
    with pytest.raises(ServiceError):
        activity_attachment_upload(actor=drafter, activity=agri_delegation, doc_type="copia_firmata",
                                   upload=SimpleUploadedFile("a.docx", docx_bytes("x")))
    assert DocumentVersion.objects.count() == 0 and stored_files(media_root) == []


def test_who_may_not_see_the_activity_gets_no_attachment(client, drafter, referent_agri, referent_crli, observer,
                                                         agri_delegation, media_root):
    post_attachment(client, drafter, agri_delegation, "verbale.docx", docx_bytes("Verbale riservato."))
    version = DocumentVersion.objects.get()
    link = reverse("activities:attachment_download", args=[agri_delegation.pk, version.pk])
    # the referent of the DG involved downloads it
    client.force_login(referent_agri)
    assert drained(client.get(link)).status_code == 200
    # the referent of another DG gets a 404, on the page and on the download, and never the bytes
    client.force_login(referent_crli)
    assert client.get(reverse("activities:detail", args=[agri_delegation.pk])).status_code == 404
    response = client.get(link)
    assert response.status_code == 404 and b"Verbale" not in response.content
    # an attachment asked for under another activity's address is a 404 too
    other = activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Evento aperto",
                            starts_on=datetime.date(2023, 6, 1))
    client.force_login(drafter)
    assert client.get(reverse("activities:attachment_download", args=[other.pk, version.pk])).status_code == 404
    # a referent may not upload (403 on the page, refused by the service), and nothing is written
    client.force_login(referent_agri)
    response = client.post(reverse("activities:attachment_upload", args=[agri_delegation.pk]),
                           {"doc_type": "verbale_attivita", "file": SimpleUploadedFile("x.docx", docx_bytes("x"))})
    assert response.status_code == 403
    with pytest.raises(PermissionDeniedError):
        activity_attachment_upload(actor=referent_agri, activity=agri_delegation, doc_type="verbale_attivita",
                                   upload=SimpleUploadedFile("x.docx", docx_bytes("x")))
    assert DocumentVersion.objects.count() == 1
    # and an anonymous visitor is sent to the login page
    client.logout()
    assert client.get(link).status_code == 302
