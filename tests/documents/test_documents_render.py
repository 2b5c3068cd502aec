"""Rendering: every template for the seed's Nouvelle-Aquitaine Intesa and for hostile data, read back with
python-docx and LibreOffice; missing fields, template injection and leftover tags; a hypothesis fuzz."""

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.documents import render
from agreements.documents import services as documents
from agreements.documents.pdf import docx_to_pdf
from agreements.models import Agreement, Article, AuditEvent, Counterpart, DocumentTemplate, DocumentVersion, Signatory
from tests.support.documents import (
    NOUVELLE_AQUITAINE_ARTICLES,
    all_text,
    docx_bytes,
    libreoffice_texts,
    open_docx,
    plain,
    stored_files,
)

TEMPLATE_NAMES = list(render.TEMPLATES)


def expected_values(agreement) -> dict[str, list[str]]:
    """What each template must show for `agreement` (as the reader sees it)."""
    common = [agreement.title, agreement.reference]
    name, local = agreement.counterpart.name, agreement.counterpart.name_local
    region = [s.name for s in agreement.signatories.filter(side="region")]
    other = [s.name for s in agreement.signatories.filter(side="counterpart")]
    return {
        "intesa_bilingue": common + [name, local] + region + other,
        "memorandum": common + [name] + agreement.subject_areas + [a.text_it for a in agreement.articles.all()]
        + region,
        "notifica_governo": common + [name, agreement.dgr_number, "legge 5 giugno 2003, n. 131",
                                      "Dipartimento per gli Affari Regionali",
                                      "Ministero degli Affari Esteri e della Cooperazione Internazionale"],
        "informativa_assemblea": common + [name, agreement.dgr_number, "Assemblea legislativa"],
        "lettera_controparte": common + [local] + other + region,
        "proposta_rinnovo": common + [local, render.italian_date(agreement.end_date)] + region,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["nouvelle_aquitaine", "hostile"])
def test_every_template_renders_and_reads_back_with_python_docx_and_libreoffice(which, request):
    agreement = request.getfixturevalue(which)
    rendered = {name: documents.render_for_agreement(agreement, name)[0] for name in TEMPLATE_NAMES}
    expected = expected_values(agreement)
    for name, data in rendered.items():
        text = all_text(open_docx(data))
        for value in expected[name]:
            assert value in text, (name, value)
        # data that looks like a template is printed, never evaluated
        if which == "hostile":
            assert "{{ 7*7 }}" in text and "49" not in text
    # LibreOffice opens every document and sees the same text
    office = libreoffice_texts(rendered)
    for name, text in office.items():
        assert agreement.title in text, name
        assert expected[name][2] in text, name  # the counterpart
    # and converts each to PDF without error
    for name, data in rendered.items():
        assert docx_to_pdf(data).startswith(b"%PDF-"), name


@pytest.mark.django_db
def test_bilingual_intesa_opens_with_python_docx_as_a_two_column_table_of_the_articles(nouvelle_aquitaine):
    data, _revision = documents.render_for_agreement(nouvelle_aquitaine, "intesa_bilingue")
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    assert len(table.columns) == 2
    header, *article_rows = table.rows
    signatures = document.tables[1].rows[0]
    assert [c.text for c in header.cells] == ["Italiano", "Français"]
    assert len(article_rows) == len(NOUVELLE_AQUITAINE_ARTICLES)
    for row, (number, heading_it, text_it, heading_fr, text_fr) in zip(article_rows, NOUVELLE_AQUITAINE_ARTICLES,
                                                                        strict=True):
        italian, french = (cell.text for cell in row.cells)
        assert heading_it in italian and text_it in italian and text_fr not in italian
        assert heading_fr in french and text_fr in french and text_it not in french
        if number:
            assert italian.startswith(f"Art. {number} – {heading_it}")
    assert "Stefano Bonaccini" in signatures.cells[0].text
    assert "Alain Rousset" in signatures.cells[1].text


@pytest.mark.django_db
def test_hostile_text_lands_in_the_right_cells(hostile):
    data, _revision = documents.render_for_agreement(hostile, "intesa_bilingue")
    table = open_docx(data).tables[0]
    first = table.rows[1]
    italian, japanese = (plain(c.text) for c in first.cells)
    article = hostile.articles.get(number=1)
    assert article.text_it in italian  # & < > quotes, a line break, emoji, CJK, Arabic, Cyrillic, braces
    assert article.text("ja") in japanese
    assert [c.text for c in table.rows[0].cells] == ["Italiano", "日本語"]
    assert "]]> <![CDATA[ x" in plain(table.rows[2].cells[1].text)


@pytest.mark.django_db
def test_rendered_documents_hold_no_template_tag_in_any_part(nouvelle_aquitaine, hostile):
    for agreement in (nouvelle_aquitaine, hostile):
        for name in TEMPLATE_NAMES:
            data, _revision = documents.render_for_agreement(agreement, name)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for part in archive.namelist():
                    text = archive.read(part).decode("utf-8", "replace")
                    assert not re.search(r"\{\{|\{%|\}\}|%\}", text), (agreement.reference, name, part)


# --- missing fields -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_missing_field_is_an_error_naming_the_field_and_nothing_is_stored(nouvelle_aquitaine, drafter, media_root):
    # given an agreement whose Giunta resolution is not recorded yet
    Agreement.objects.filter(pk=nouvelle_aquitaine.pk).update(dgr_number="", dgr_date=None)
    # when the notice to the government is generated
    with pytest.raises(render.MissingFieldError) as error:
        documents.document_generate(agreement=nouvelle_aquitaine, template_name="notifica_governo", actor=drafter)
    # then the error names the field, in Italian, and nothing was stored
    assert "agreement.dgr_number" in error.value.message or "agreement.dgr_date" in error.value.message
    assert "DGR" in error.value.message
    assert DocumentVersion.objects.count() == 0
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action="document_generate").exists()


@pytest.mark.django_db
def test_missing_translation_of_an_article_names_the_field(nouvelle_aquitaine, drafter):
    article = Article.objects.get(agreement=nouvelle_aquitaine, number=3)
    article.translations["fr"]["text"] = ""
    article.save()
    with pytest.raises(render.MissingFieldError, match=r"articles\[\]\.versions\[\]\.text"):
        documents.render_for_agreement(nouvelle_aquitaine, "intesa_bilingue")
    # an Italian-only template does not need it
    documents.render_for_agreement(nouvelle_aquitaine, "memorandum")


@pytest.mark.django_db
def test_optional_fields_leave_a_blank_line_to_fill_not_an_error(nouvelle_aquitaine):
    Agreement.objects.filter(pk=nouvelle_aquitaine.pk).update(signed_on=None, signature_place="")
    text = all_text(open_docx(documents.render_for_agreement(nouvelle_aquitaine, "intesa_bilingue")[0]))
    assert "Fatto a ____________________, il ____________________" in text


# --- template injection ---------------------------------------------------------------------------------------

MARKER = Path("/tmp/intese-ssti-marker")

# Each payload with the refusal that must stop it: the sandbox's own (TemplateSecurityError: internals, huge
# values), or the missing global (only `range` is offered, so `lipsum`, `config`, `request` are unknown fields).
# A plain Jinja environment in place of the sandbox renders most of them, so these assertions fail without it.
SECURITY, MISSING, INVALID = "security", "missing", "invalid"
INJECTIONS = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", SECURITY),
    ("{{ agreement.__class__ }}", SECURITY),
    ("{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}", SECURITY),
    ("{{ cycler.__init__.__globals__.os.popen('touch " + str(MARKER) + "').read() }}", SECURITY),
    ("{{ lipsum.__globals__['os'].popen('touch " + str(MARKER) + "').read() }}", MISSING),
    ("{{ self._TemplateReference__context }}", SECURITY),
    ("{{ range.__globals__ }}", SECURITY),
    ("{{ '{0.__class__}'.format(agreement) }}", SECURITY),
    ("{{ agreement.title.__len__() }}", SECURITY),
    ("{{ config }}", MISSING),
    ("{{ request.application.__globals__ }}", MISSING),
    ("{{ 'x' * 1000000000 }}", SECURITY),
    ("{{ 2 ** 100000000 }}", SECURITY),
    ("{% set n = 10 ** 60 %}{{ n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n }}"
     "{{ (n ** 60) ** 60 }}", SECURITY),
    ("{{ 1 / 0 }}", INVALID),
    ("{{ agreement|attr('__class__') }}", SECURITY),
]
REFUSAL = {SECURITY: "TemplateSecurityError", MISSING: "MissingFieldError", INVALID: "TemplateInvalidError"}


@pytest.mark.django_db
@pytest.mark.parametrize(("payload", "refusal"), INJECTIONS)
def test_template_injection_fails_with_an_error_and_produces_no_file(payload, refusal, nouvelle_aquitaine, drafter,
                                                                     admin_user, media_root):
    from django.core.files.base import ContentFile

    # given a hostile revision of the memorandum template placed in storage (as if it had bypassed the upload check)
    revision = DocumentTemplate(name="memorandum", revision=1, sha256="x", uploaded_by=admin_user)
    revision.file.save("memorandum-r1.docx", ContentFile(docx_bytes("Titolo {{ agreement.title }}", payload)))
    files_before = stored_files(media_root)
    # when a drafter generates the memorandum
    with pytest.raises(render.DocumentError) as error:
        documents.document_generate(agreement=nouvelle_aquitaine, template_name="memorandum", actor=drafter)
    # then the refusal is the expected one (the sandbox's, or the unknown global's); no version, no file, no code ran
    assert type(error.value).__name__ == REFUSAL[refusal], error.value.message
    assert DocumentVersion.objects.count() == 0
    assert stored_files(media_root) == files_before
    assert not MARKER.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [payload for payload, _refusal in INJECTIONS[:9]])
def test_template_injection_is_refused_at_upload(payload, admin_user, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(render.DocumentError):
        documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", docx_bytes(payload)),
                                  actor=admin_user)
    assert DocumentTemplate.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_tag_in_a_part_docxtpl_does_not_render_is_caught_by_the_leftover_scan():
    document = docx.Document()
    paragraph = document.add_paragraph("Testo")
    document.add_comment(paragraph.runs, text="Nota {{ agreement.title }}", author="R")
    out = io.BytesIO()
    document.save(out)
    with pytest.raises(render.LeftoverTagError, match="word/comments.xml"):
        render.render_docx(out.getvalue(), render.sample_context())


# --- the shipped templates ------------------------------------------------------------------------------------


def test_shipped_templates_are_what_the_build_script_makes(tmp_path):
    script = Path(render.TEMPLATES_DIR) / "build_templates.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    for name, info in render.TEMPLATES.items():
        assert (tmp_path / f"{name}.docx").read_bytes() == info.shipped_path.read_bytes(), name


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_shipped_templates_pass_the_upload_checks(name):
    from agreements.documents.preflight import preflight_docx

    data = render.TEMPLATES[name].shipped_path.read_bytes()
    preflight_docx(data)
    assert render.unknown_fields(data) == []
    render.render_docx(data, render.sample_context())


# --- fuzz -----------------------------------------------------------------------------------------------------

texts = st.text(max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=texts, name=texts, name_local=texts, heading=texts, text_it=texts, text_other=texts, signer=texts,
       areas=st.lists(texts, max_size=3), template=st.sampled_from(["intesa_bilingue", "memorandum",
                                                                      "lettera_controparte"]))
def test_fuzz_rendering_never_crashes_and_the_output_always_opens(title, name, name_local, heading, text_it,
                                                                   text_other, signer, areas, template):
    agreement = Agreement(
        reference="INT-2026-001", title=title, kind="intesa", languages=["it", "fr"], authentic_languages=["it", "fr"],
        subject_areas=areas, duration_months=12,
        counterpart=Counterpart(name=name, name_local=name_local, country="Francia", type="region", language="fr"),
    )
    articles = [Article(number=1, heading_it=heading, text_it=text_it,
                        translations={"fr": {"heading": heading, "text": text_other}})]
    signatories = [Signatory(side="region", name=signer, role="Presidente"),
                   Signatory(side="counterpart", name=signer, role="Président")]
    context = render.context_from(agreement, articles=articles, signatories=signatories, dgs=[])
    source = render.TEMPLATES[template].shipped_path.read_bytes()
    try:
        data = render.render_docx(source, context)
    except render.MissingFieldError as error:
        # the only documented failure: a value that is empty once cleaned, named in the message
        assert error.field
        assert any(render.clean_text(v) == "" for v in (title, name, heading, text_it, text_other, signer))
        return
    text = all_text(open_docx(data))
    assert plain(render.clean_text(title)) in text
    if template != "lettera_controparte":
        assert plain(render.clean_text(text_it)) in text


@pytest.mark.django_db
def test_renewal_proposal_renders_from_the_renewal_record_with_the_renewed_agreements_dates(drafter):
    # given an Intesa in force and its renewal opened (a new record in negotiation, with no dates of its own)
    from agreements.records.services import renewal_create
    from tests.support.factories import InForceAgreementFactory

    old = InForceAgreementFactory(reference="INT-2022-004", title="Intesa con la Nouvelle-Aquitaine",
                                  signature_place="Bordeaux", duration_months=36, drafted_by=drafter)
    Signatory.objects.create(agreement=old, side="region", name="Stefano Bonaccini", role="Presidente", order=0)
    renewal = renewal_create(agreement=old, actor=drafter)
    assert renewal.entry_into_force is None and renewal.end_date is None
    # when the renewal proposal is generated on the renewal
    data = documents.render_for_agreement(renewal, "proposta_rinnovo")[0]
    # then it speaks of the agreement being renewed, its signature and its dates, and of the renewal's duration
    text = plain(all_text(open_docx(data)))
    for value in ("INT-2022-004", "Intesa con la Nouvelle-Aquitaine", "Bordeaux", render.italian_date(old.signed_on),
                  render.italian_date(old.entry_into_force), render.italian_date(old.end_date), "36 mesi",
                  "Stefano Bonaccini"):
        assert plain(value) in text, value
    assert "«Intesa con la Nouvelle-Aquitaine» (INT-2022-004)" in text  # the subject names the renewed one
    assert not render.LEFTOVER_TAG.search(text)
    # and the same letter generated on the agreement in force before its renewal reads the same dates
    text_old = plain(all_text(open_docx(documents.render_for_agreement(old, "proposta_rinnovo")[0])))
    assert render.italian_date(old.end_date) in text_old and "INT-2022-004" in text_old
