"""The clause library: a new agreement starts from its kind's text template with its fields filled in, so the
first draft renders with no article typed; a renewal starts from the old text; the library refuses a sentence
left open by an empty list; administrators edit it through services with audit."""

import io

import docx
import pytest
from django.urls import reverse

from agreements.clauses import selectors as clause_selectors
from agreements.clauses import services as clauses
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.documents import render
from agreements.documents import services as documents
from agreements.models import (
    AgreementKind,
    Article,
    AuditEvent,
    ClauseVersion,
    DocumentTemplate,
    DocumentVersion,
    KindTemplate,
)
from agreements.records import services as records
from tests.support.documents import all_text, docx_bytes, libreoffice_texts, open_docx
from tests.support.factories import CounterpartFactory, InForceAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def murcia(db):
    return CounterpartFactory(name="Región de Murcia", name_local="Región de Murcia", country="Spagna",
                              country_code="ES", type="region", language="es")


def propose(drafter, counterpart, kind=AgreementKind.INTESA, **fields):
    fields.setdefault("languages", ["it", counterpart.language])
    return records.agreement_create(actor=drafter, title="Cooperazione agroalimentare e ricerca", kind=kind,
                                    counterpart=counterpart, duration_months=36, **fields)


def test_a_new_intesa_with_murcia_renders_a_complete_bilingual_first_draft_in_one_click(
        client, drafter, murcia, media_root):
    # given a drafter who starts an Intesa with the Región de Murcia and types no article
    agreement = propose(drafter, murcia, subject_areas=["agroalimentare", "ricerca"])
    articles = list(agreement.articles.all())
    assert [a.heading_it for a in articles][:3] == ["Premesse", "Oggetto", "Ambiti di cooperazione"]
    assert all(a.text("es") and not a.text("es").startswith("[da tradurre]") for a in articles)
    # when the drafter clicks "Genera" on the documents page
    client.force_login(drafter)
    response = client.post(reverse("documents:generate", args=[agreement.reference]),
                           {"template": "intesa_bilingue"})
    assert response.status_code == 302
    version = DocumentVersion.objects.get(agreement=agreement)
    download = client.get(reverse("documents:download", args=[agreement.reference, version.pk]))
    data = b"".join(download.streaming_content)
    # then the document has the two versions side by side, every article in both, the fields filled in
    table = open_docx(data).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Italiano", "Español"]
    assert len(table.rows) == 1 + len(articles) == 10
    text = all_text(open_docx(data))
    assert "Le Parti collaborano nei seguenti ambiti: agroalimentare, ricerca." in text
    assert "no supone cargas financieras para el Estado italiano ni compromisos de política exterior" in text
    assert "non comporta oneri finanziari a carico dello Stato italiano né impegni di politica estera" in text
    assert "La Regione Emilia-Romagna e Región de Murcia" in text
    assert "36 meses" in text and "italiano y español" in text
    assert "{{" not in text and "[da tradurre]" not in text
    # and LibreOffice opens it and reads the same text
    office = libreoffice_texts({"intesa": data})["intesa"]
    assert "Disposiciones financieras" in office and "Disposizioni finanziarie" in office


def test_a_new_mou_with_no_fields_of_cooperation_renders_with_no_sentence_left_open(drafter, media_root):
    # given a MoU proposal with no subject areas and no article typed
    counterpart = CounterpartFactory(name="Province of Québec", country="Canada", type="region", language="fr")
    agreement = propose(drafter, counterpart, kind=AgreementKind.MEMORANDUM, subject_areas=[])
    # when its first draft is generated
    version = documents.document_generate(agreement=agreement, template_name="memorandum", actor=drafter)
    with version.file.open("rb") as handle:
        data = handle.read()
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    # then it holds the drafted articles and no paragraph ends on an open colon
    assert "Art. 5 – Disposizioni finanziarie" in paragraphs
    assert [p for p in paragraphs if p.endswith(":")] == []
    assert "nei seguenti ambiti" not in "\n".join(paragraphs)
    assert any("individuano di comune accordo gli ambiti" in p for p in paragraphs)
    assert "Disposizioni finanziarie" in libreoffice_texts({"mou": data})["mou"]


def test_three_languages_render_three_columns(drafter, murcia, media_root):
    agreement = propose(drafter, murcia, languages=["it", "es", "fr"], subject_areas=["cultura"])
    data, _revision = documents.render_for_agreement(agreement, "intesa_bilingue")
    table = open_docx(data).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Italiano", "Español", "Français"]
    first = [c.text for c in table.rows[1].cells]
    assert first[0].startswith("Art. 1 – Premesse") and first[1].startswith("Art. 1 – Preámbulo")
    assert first[2].startswith("Art. 1 – Préambule")
    assert len(set(first)) == 3


def test_a_language_the_library_lacks_is_marked_to_translate_and_still_renders(drafter, media_root):
    counterpart = CounterpartFactory(name="Provincia del Guangdong", country="Cina", type="province", language="zh")
    agreement = propose(drafter, counterpart)
    assert all(a.text("zh").startswith("[da tradurre] ") for a in agreement.articles.all())
    data, _revision = documents.render_for_agreement(agreement, "intesa_bilingue")
    assert [c.text for c in open_docx(data).tables[0].rows[0].cells] == ["Italiano", "中文"]


def test_the_renewal_starts_from_the_text_of_the_agreement_it_renews(drafter):
    old = InForceAgreementFactory(languages=["it", "fr"])
    Article.objects.create(agreement=old, number=1, heading_it="Oggetto", text_it="Testo concordato nel 2022.",
                           translations={"fr": {"heading": "Objet", "text": "Texte convenu en 2022."}})
    Article.objects.create(agreement=old, number=2, heading_it="Durata", text_it="Tre anni.")
    renewal = records.renewal_create(agreement=old, actor=drafter)
    assert list(renewal.articles.values_list("number", "heading_it", "text_it", "translations")) == [
        (1, "Oggetto", "Testo concordato nel 2022.", {"fr": {"heading": "Objet", "text": "Texte convenu en 2022."}}),
        (2, "Durata", "Tre anni.", {}),
    ]
    # a proposal naming the agreement it renews starts from that text too, not from the library
    again = records.agreement_create(actor=drafter, title="Rinnovo", kind=old.kind, counterpart=old.counterpart,
                                     renews=old)
    assert list(again.articles.values_list("text_it", flat=True)) == ["Testo concordato nel 2022.", "Tre anni."]
    assert AuditEvent.objects.get(agreement=again, action="agreement_create").detail["text_from"] == "renewed"


def test_an_administrators_new_version_of_a_clause_is_used_by_the_next_draft(drafter, admin_user, murcia):
    version = clauses.clause_version_create(actor=admin_user, code="finanziarie", texts={
        "it": {"heading": "Oneri", "text": "{{ This_text }} non comporta oneri per lo Stato."},
        "es": {"heading": "Gastos", "text": "{{ This_text }} no supone gastos para el Estado."},
    }, note="testo breve")
    assert version.number == 1
    event = AuditEvent.objects.get(action="clause_version_create")
    assert event.actor == admin_user and event.detail["clause"] == "finanziarie"
    agreement = propose(drafter, murcia)
    article = agreement.articles.get(number=5)
    assert (article.heading_it, article.text_it) == ("Oneri", "La presente Intesa non comporta oneri per lo Stato.")
    assert article.text("es") == "El presente Acuerdo no supone gastos para el Estado."
    # the shipped text is not lost: the library shows the administrator's version, the shipped one stays in code
    assert clause_selectors.clauses()["finanziarie"].number == 1


def test_the_library_refuses_a_sentence_left_open_by_an_empty_list_and_writes_nothing(admin_user):
    with pytest.raises(ServiceError, match="frase resta aperta"):
        clauses.clause_version_create(actor=admin_user, code="ambiti", texts={"it": {
            "heading": "Ambiti", "text": "Le Parti collaborano nei seguenti ambiti:\n"
                                         "{% for a in areas %}- {{ a }}\n{% endfor %}"}})
    with pytest.raises(ServiceError, match="non si compila"):
        clauses.clause_version_create(actor=admin_user, code="ambiti", texts={"it": {
            "heading": "Ambiti", "text": "Con {{ partner }}."}})
    assert not ClauseVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="clause_version_create").exists()


def test_the_template_check_refuses_a_docx_template_that_leaves_a_sentence_open(admin_user, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    template = docx_bytes("{{ agreement.title }}", "Le Parti collaborano nei seguenti ambiti:",
                          "{%p for area in agreement.subject_areas %}", "– {{ area }}", "{%p endfor %}",
                          "{%p for a in articles %}", "{{ a.title_it }}", "{{ a.text_it }}", "{%p endfor %}")
    with pytest.raises(render.TemplateInvalidError, match="frase aperta"):
        documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", template),
                                  actor=admin_user)
    assert not DocumentTemplate.objects.exists()
    # the same sentence made conditional is accepted
    fixed = docx_bytes("{{ agreement.title }}", "{% if agreement.subject_areas_text is defined %}Le Parti "
                       "collaborano nei seguenti ambiti: {{ agreement.subject_areas_text }}.{% endif %}",
                       "{%p for a in articles %}", "{{ a.title_it }}", "{{ a.text_it }}", "{%p endfor %}")
    documents.template_upload(name="memorandum", upload=SimpleUploadedFile("m.docx", fixed), actor=admin_user)
    assert DocumentTemplate.objects.count() == 1


def test_a_kinds_text_template_is_set_by_an_administrator_only(drafter, admin_user):
    with pytest.raises(PermissionDeniedError):
        clauses.kind_template_set(actor=drafter, kind="memorandum", clauses=["premesse"])
    with pytest.raises(ServiceError, match="sconosciute"):
        clauses.kind_template_set(actor=admin_user, kind="memorandum", clauses=["premesse", "inesistente"])
    assert not KindTemplate.objects.exists()
    clauses.kind_template_set(actor=admin_user, kind="memorandum", clauses=["premesse", "finanziarie", "finali"])
    counterpart = CounterpartFactory(language="fr")
    agreement = propose(drafter, counterpart, kind=AgreementKind.MEMORANDUM)
    assert list(agreement.articles.values_list("heading_it", flat=True)) == [
        "Premesse", "Disposizioni finanziarie", "Disposizioni finali"]


def test_library_pages(client, drafter, admin_user):
    client.force_login(drafter)
    page = client.get(reverse("clauses:library")).content.decode()
    assert "Disposizioni finanziarie" in page and "no supone cargas financieras" in page
    assert client.get(reverse("clauses:clause_edit", args=["finanziarie"])).status_code == 403
    client.force_login(admin_user)
    url = reverse("clauses:clause_edit", args=["recesso"])
    form = client.get(url).content.decode()
    assert "Retrait" in form and "Denuncia" in form
    refused = client.post(url, {"heading_it": "Recesso", "text_it": "Le Parti recedono nei seguenti casi:"})
    assert refused.status_code == 200 and "frase resta aperta" in refused.content.decode()
    assert not ClauseVersion.objects.exists()
    saved = client.post(url, {"heading_it": "Recesso", "text_it": "Ciascuna Parte può recedere con preavviso.",
                              "heading_en": "Withdrawal", "text_en": "Either Party may withdraw."})
    assert saved.status_code == 302
    assert ClauseVersion.objects.get(code="recesso").texts["en"] == {"heading": "Withdrawal",
                                                                     "text": "Either Party may withdraw."}


def test_the_renewal_of_an_agreement_recorded_without_its_text_starts_from_the_library(drafter):
    old = InForceAgreementFactory(languages=["it", "fr"], kind=AgreementKind.INTESA)
    assert not old.articles.exists()
    renewal = records.renewal_create(agreement=old, actor=drafter)
    assert renewal.articles.count() == 9
    assert renewal.articles.get(number=5).heading("fr") == "Dispositions financières"


def test_the_articles_editor_has_one_column_per_language_and_saves_several_articles_at_once(
        client, drafter, murcia):
    agreement = propose(drafter, murcia, languages=["it", "es", "fr"])
    client.force_login(drafter)
    url = reverse("agreements:articles", args=[agreement.reference])
    page = client.get(url).content.decode()
    # one column per language, the drafted articles filled in, the empty row to add in place, the script
    assert page.count('class="language-column"') == 3 * (9 + 1) + 3  # 9 articles, the extra row, the template
    assert 'name="articles-0-text_fr"' in page and "Préambule" in page and "Preámbulo" in page
    assert "data-add-row" in page and "js/articles_formset.js" in page
    data = {"articles-TOTAL_FORMS": 3, "articles-INITIAL_FORMS": 0}
    for i, n in enumerate((1, 2, 3)):
        data.update({f"articles-{i}-number": n, f"articles-{i}-heading_it": f"Rubrica {n}",
                     f"articles-{i}-text_it": f"Testo {n}", f"articles-{i}-heading_es": f"Rúbrica {n}",
                     f"articles-{i}-text_es": f"Texto {n}", f"articles-{i}-heading_fr": f"Rubrique {n}",
                     f"articles-{i}-text_fr": f"Texte {n}"})
    data["articles-2-DELETE"] = "on"  # the third row removed before saving
    assert client.post(url, data).status_code == 302
    assert [(a.number, a.text_it, a.text("es"), a.text("fr")) for a in agreement.articles.all()] == [
        (1, "Testo 1", "Texto 1", "Texte 1"), (2, "Testo 2", "Texto 2", "Texte 2")]
    # an Italian text missing is refused next to the field, and nothing is written
    bad = dict(data, **{"articles-0-text_it": ""})
    refused = client.post(url, bad)
    assert refused.status_code == 200 and "has-error" in refused.content.decode()
    assert agreement.articles.count() == 2
