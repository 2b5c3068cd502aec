"""Signed originals: a PAdES PDF and a CAdES .p7m, signed in the test by a throwaway CA, are verified (signer, time,
integrity, chain against the configured trust roots), stored with the result and shown; altered or active files
are refused and nothing is stored."""

import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.documents import services as documents
from agreements.documents.preflight import PreflightError, preflight_pdf
from agreements.documents.selectors import read_version
from agreements.documents.signatures import SignatureError
from agreements.models import AuditEvent, Counterpart, DocumentVersion
from tests.support.documents import docx_bytes, stored_files
from tests.support.factories import AgreementFactory
from tests.support.signing import change_after_signing, pdf_bytes, sign_p7m, sign_pdf, tamper, throwaway_signer

pytestmark = pytest.mark.django_db

TEXT = ("Intesa tra la Regione Emilia-Romagna e il Commonwealth of Pennsylvania",
        "Art. 2 - Ambiti: ricerca, innovazione, agroalimentare.")
VALID_LABEL = "catena di certificazione valida"
UNCHECKED_LABEL = "non verificato rispetto a un elenco di fiducia"


@pytest.fixture(scope="module")
def signer():
    return throwaway_signer("Michele de Pascale")


@pytest.fixture
def pennsylvania(drafter):
    counterpart = Counterpart.objects.create(name="Commonwealth of Pennsylvania", country="Stati Uniti",
                                             type="federated_state", language="en")
    return AgreementFactory(title="Intesa con la Pennsylvania su ricerca e innovazione e agrifood",
                            counterpart=counterpart, languages=["it", "en"], drafted_by=drafter, status="signature")


def upload(client, agreement, name, data, doc_type="copia_firmata"):
    return client.post(
        reverse("documents:upload", args=[agreement.reference]),
        {"doc_type": doc_type, "file": SimpleUploadedFile(name, data), "next": ""}, follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def assert_nothing_stored(media_root):
    assert DocumentVersion.objects.count() == 0
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action="document_upload").exists()


def test_signed_pdf_of_the_pennsylvania_intesa_is_stored_and_shows_who_signed(
    client, drafter, pennsylvania, signer, media_root
):
    # given the signed PDF of the Intesa (PAdES, signed by a throwaway CA's certificate), no trust roots configured
    signed = sign_pdf(pdf_bytes(*TEXT), signer)
    client.force_login(drafter)
    # when the drafter uploads it as the signed copy
    response = upload(client, pennsylvania, "Intesa Pennsylvania firmata.pdf", signed)
    # then it is stored as a new version with the verification result
    assert messages_of(response) == ["File caricato: Copia firmata, versione 1."]
    version = DocumentVersion.objects.get()
    assert version.content_type == "application/pdf" and version.filename == "Intesa_Pennsylvania_firmata.pdf"
    assert read_version(version) == signed
    result = version.signature
    assert result["format"] == "pades" and result["trust_roots"] is False
    [entry] = result["signers"]
    assert entry["signer"] == "Michele de Pascale" and entry["issuer"] == "Test Trust Service"
    assert entry["intact"] is True and entry["covers_whole_file"] is True
    assert entry["chain"] == "unchecked" and entry["signing_time"]
    event = AuditEvent.objects.get(action="document_upload")
    assert event.detail["signed_by"] == ["Michele de Pascale"] and event.detail["signature_format"] == "pades"
    # and the documents page shows who signed it, and that the chain was not checked - never "valid"
    html = client.get(reverse("documents:versions", args=[pennsylvania.reference])).content.decode()
    assert "Michele de Pascale" in html and "contenuto integro" in html
    assert UNCHECKED_LABEL in html
    assert VALID_LABEL not in html


def test_p7m_envelope_is_accepted_and_shows_the_signer(client, drafter, pennsylvania, signer, media_root):
    inner = pdf_bytes(*TEXT)
    p7m = sign_p7m(inner, signer)
    client.force_login(drafter)
    response = upload(client, pennsylvania, "intesa.pdf.p7m", p7m)
    assert messages_of(response) == ["File caricato: Copia firmata, versione 1."]
    version = DocumentVersion.objects.get()
    assert version.filename == "intesa.pdf.p7m" and version.content_type == "application/pkcs7-mime"
    assert version.signature["format"] == "cades" and version.signature["content"] == "pdf"
    [entry] = version.signature["signers"]
    assert entry["signer"] == "Michele de Pascale" and entry["intact"] is True and entry["chain"] == "unchecked"
    assert entry["signing_time"]
    html = client.get(reverse("documents:versions", args=[pennsylvania.reference])).content.decode()
    assert "Michele de Pascale" in html and UNCHECKED_LABEL in html and VALID_LABEL not in html


def test_p7m_of_a_docx_is_accepted(drafter, pennsylvania, signer, media_root):
    version = documents.document_upload(
        agreement=pennsylvania, doc_type="copia_firmata", actor=drafter,
        upload=SimpleUploadedFile("intesa.docx.p7m", sign_p7m(docx_bytes("Testo firmato"), signer)),
    )
    assert version.filename == "intesa.docx.p7m" and version.signature["content"] == "docx"


@pytest.mark.parametrize("kind", ["pdf", "p7m"])
def test_tampered_original_is_refused_and_nothing_is_stored(kind, client, drafter, pennsylvania, signer, media_root):
    # given a signed original whose signed content was changed afterwards (one letter of the text)
    original = pdf_bytes(*TEXT)
    signed = sign_pdf(original, signer) if kind == "pdf" else sign_p7m(original, signer)
    altered = tamper(signed, b"agroalimentare", b"agroalimentari")
    client.force_login(drafter)
    # when it is uploaded
    response = upload(client, pennsylvania, f"intesa.{kind}", altered)
    # then it is refused because its content does not match its signature
    [message] = messages_of(response)
    assert message.startswith("File rifiutato:") and "non corrisponde alla firma di Michele de Pascale" in message
    assert_nothing_stored(media_root)


def test_a_pdf_whose_page_was_replaced_after_signing_is_refused(client, drafter, pennsylvania, signer, media_root):
    # given a signed PDF to which an incremental update replaced the page's text (the signed bytes are intact)
    altered = change_after_signing(sign_pdf(pdf_bytes(*TEXT), signer))
    client.force_login(drafter)
    response = upload(client, pennsylvania, "intesa.pdf", altered)
    [message] = messages_of(response)
    assert "modificato dopo la firma di Michele de Pascale" in message
    assert_nothing_stored(media_root)


def test_the_untampered_file_of_the_tamper_test_is_accepted(drafter, pennsylvania, signer, media_root):
    # the control of the test above: the same bytes, unaltered, pass (so the refusal is the tampering)
    signed = sign_pdf(pdf_bytes(*TEXT), signer)
    documents.document_upload(agreement=pennsylvania, doc_type="copia_firmata", actor=drafter,
                              upload=SimpleUploadedFile("intesa.pdf", signed))
    assert DocumentVersion.objects.count() == 1


def _encrypted_pdf() -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_bytes(*TEXT)))
    writer.encrypt("segreta")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("name,build,reason", [
    ("javascript", lambda s: sign_pdf(pdf_bytes(*TEXT, javascript=True), s), "JavaScript"),
    ("escaped-javascript-name", lambda s: pdf_bytes(*TEXT, escaped_js=True), "JavaScript"),
    ("javascript-inside-p7m", lambda s: sign_p7m(pdf_bytes(*TEXT, javascript=True), s), "JavaScript"),
    ("embedded-file", lambda s: sign_pdf(pdf_bytes(*TEXT, embedded_file=True), s), "file incorporati"),
    ("encrypted", lambda s: _encrypted_pdf(), "cifrato"),
    ("unsigned-pdf", lambda s: pdf_bytes(*TEXT), "non contiene firme"),
    ("truncated-pdf", lambda s: sign_pdf(pdf_bytes(*TEXT), s)[:600], "danneggiato"),
    ("p7m-without-content", lambda s: b"\x30\x03\x02\x01\x01", "non è un PDF firmato"),
    ("p7m-of-html", lambda s: sign_p7m(b"<html><script>alert(1)</script></html>", s), "non è un PDF né un .docx"),
    ("random-bytes", lambda s: b"\x01\x02garbage" * 50, "non è un PDF firmato"),
])
def test_hostile_signed_copy_is_refused_with_a_reason(name, build, reason, client, drafter, pennsylvania, signer,
                                                      media_root):
    client.force_login(drafter)
    response = upload(client, pennsylvania, "intesa.pdf", build(signer))
    [message] = messages_of(response)
    assert message.startswith("File rifiutato:") and reason.lower() in message.lower(), message
    assert_nothing_stored(media_root)


def test_a_pdf_is_not_accepted_as_a_revised_text(client, drafter, pennsylvania, signer, media_root):
    client.force_login(drafter)
    response = upload(client, pennsylvania, "intesa.pdf", sign_pdf(pdf_bytes(*TEXT), signer), "testo_revisionato")
    [message] = messages_of(response)
    assert "non è un documento Word" in message
    assert_nothing_stored(media_root)


def test_pdf_preflight_accepts_a_plain_pdf_and_refuses_javascript():
    preflight_pdf(pdf_bytes(*TEXT))
    with pytest.raises(PreflightError, match="JavaScript"):
        preflight_pdf(pdf_bytes(*TEXT, javascript=True))


def test_with_the_test_ca_as_trust_root_the_chain_is_valid(settings, tmp_path, client, drafter, pennsylvania,
                                                             signer, media_root):
    # given the throwaway CA configured as the only trust root (a folder, as INTESE_TRUST_ROOTS_DIR names it)
    (tmp_path / "ca-prova.pem").write_bytes(signer.ca_pem())
    settings.INTESE = {**settings.INTESE, "TRUST_ROOTS_DIR": str(tmp_path)}
    client.force_login(drafter)
    # when a PDF and a .p7m it signed are uploaded
    upload(client, pennsylvania, "intesa.pdf", sign_pdf(pdf_bytes(*TEXT), signer))
    upload(client, pennsylvania, "intesa.pdf.p7m", sign_p7m(pdf_bytes(*TEXT), signer))
    # then both chains are valid, and the page says so
    chains = [v.signature["signers"][0]["chain"] for v in DocumentVersion.objects.order_by("number")]
    assert chains == ["valid", "valid"]
    assert all(v.signature["trust_roots"] for v in DocumentVersion.objects.all())
    html = client.get(reverse("documents:versions", args=[pennsylvania.reference])).content.decode()
    assert html.count(VALID_LABEL) == 2 and UNCHECKED_LABEL not in html


def test_with_another_ca_as_trust_root_the_chain_is_invalid_but_the_original_is_kept(
    settings, tmp_path, drafter, pennsylvania, signer, media_root
):
    (tmp_path / "altra-ca.der").write_bytes(
        throwaway_signer("Altro", ca_name="Altra CA").ca_cert.public_bytes(
            __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)
    )
    (tmp_path / "leggimi.txt").write_text("not a certificate")
    settings.INTESE = {**settings.INTESE, "TRUST_ROOTS_DIR": str(tmp_path)}
    version = documents.document_upload(
        agreement=pennsylvania, doc_type="copia_firmata", actor=drafter,
        upload=SimpleUploadedFile("intesa.pdf", sign_pdf(pdf_bytes(*TEXT), signer)),
    )
    [entry] = version.signature["signers"]
    assert entry["intact"] is True and entry["chain"] == "invalid"


def test_signature_error_is_a_service_error_with_a_message(drafter, pennsylvania, signer, media_root):
    with pytest.raises(SignatureError) as refused:
        documents.document_upload(agreement=pennsylvania, doc_type="copia_firmata", actor=drafter,
                                  upload=SimpleUploadedFile("x.pdf", pdf_bytes(*TEXT)))
    assert "non contiene firme digitali" in refused.value.message


def test_the_signature_step_uploads_the_signed_original_and_shows_the_signer(client, drafter, director, signer,
                                                                              media_root):
    # given a memorandum (light path) waiting for its signature in the drafter's inbox
    from agreements.procedure.services import Decision
    from tests.support.factories import CounterpartFactory
    from tests.support.lifecycle import complete, task_of, through_start
    from workflows import services as wf
    from workflows.selectors import task_url

    agreement = wf.proposal_start(actor=drafter, title="Memorandum Pennsylvania", kind="memorandum",
                                  counterpart=CounterpartFactory(name="Pennsylvania"), binding=False,
                                  director=director)
    through_start(agreement, director, creates_commitments=False)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    page = task_url(task_of(agreement, "sign"))
    client.force_login(drafter)
    html = client.get(page).content.decode()
    # the step page offers the upload of the signed original, back to the step
    assert 'id="signed-original-upload"' in html and 'value="copia_firmata"' in html
    # when the signed PDF is uploaded from the step page
    response = client.post(reverse("documents:upload", args=[agreement.reference]),
                           {"doc_type": "copia_firmata", "next": page,
                            "file": SimpleUploadedFile("firmato.pdf", sign_pdf(pdf_bytes(*TEXT), signer))})
    # then the user is back on the step, which shows who signed the original
    assert response.status_code == 302 and response["Location"] == page
    html = client.get(page).content.decode()
    assert "Michele de Pascale" in html and UNCHECKED_LABEL in html and VALID_LABEL not in html
    assert DocumentVersion.objects.get(agreement=agreement).signature["signers"][0]["signer"] == "Michele de Pascale"
