"""Compare two versions of a text article by article: the recorded articles and .docx versions (generated, or
uploaded and read back with python-docx); exactly the changed articles are listed, and the .docx of the
comparison marks the changes."""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.documents import compare
from agreements.documents import services as documents
from agreements.models import Article, AuditEvent, DocumentVersion
from agreements.records import services as records
from tests.support.factories import CounterpartFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafted(drafter):
    counterpart = CounterpartFactory(name="Región de Murcia", country="Spagna", type="region", language="es")
    return records.agreement_create(actor=drafter, title="Cooperazione agroalimentare", kind="intesa",
                                    counterpart=counterpart, languages=["it", "es"], subject_areas=["agroalimentare"],
                                    duration_months=36)


def edited_rows(agreement, edits):
    """The agreement's articles as service rows, with {number: (italian text, spanish text)} replaced."""
    rows = []
    for article in agreement.articles.all():
        row = {"number": article.number, "heading_it": article.heading_it, "text_it": article.text_it,
               "translations": {k: dict(v) for k, v in article.translations.items()}}
        if article.number in edits:
            row["text_it"], row["translations"]["es"]["text"] = edits[article.number]
        rows.append(row)
    return rows


def test_compare_of_two_generated_versions_lists_exactly_the_changed_articles(client, drafter, drafted, media_root):
    # given a first generated draft, then articles 3 and 7 edited (7 in Spanish only), then a second draft
    first = documents.document_generate(agreement=drafted, template_name="intesa_bilingue", actor=drafter)
    art3, art7 = drafted.articles.get(number=3), drafted.articles.get(number=7)
    records.articles_replace(agreement=drafted, actor=drafter, articles=edited_rows(drafted, {
        3: (art3.text_it.replace("agroalimentare", "agroalimentare e turismo"), art3.text("es")),
        7: (art7.text_it, art7.text("es").replace("seis meses", "tres meses"))}))
    second = documents.document_generate(agreement=drafted, template_name="intesa_bilingue", actor=drafter)
    # when the drafter compares the two versions on the page
    client.force_login(drafter)
    url = reverse("documents:compare", args=[drafted.reference])
    page = client.get(url, {"a": first.pk, "b": second.pk}).content.decode()
    # then exactly articles 3 and 7 are listed, with the words that changed
    assert 'id="art-3"' in page and 'id="art-7"' in page
    assert [n for n in range(1, 10) if f'id="art-{n}"' in page] == [3, 7]
    assert '<ins class="diff"> e turismo</ins>' in page
    assert '<del class="diff">seis</del><ins class="diff">tres</ins>' in page
    diffs = compare.compare(compare.version_text(drafted, str(first.pk)), compare.version_text(drafted, str(second.pk)))
    assert [(d.number, d.status, [label for label, _ops in d.columns]) for d in diffs] == [
        (3, "changed", ["Italiano"]), (7, "changed", ["Español"])]
    # and the recorded text equals the second version: no difference
    assert compare.compare(compare.version_text(drafted, compare.RECORDED),
                           compare.version_text(drafted, str(second.pk))) == []

    # the .docx of the comparison marks the removed words struck through and the added ones underlined
    response = client.get(reverse("documents:compare_download", args=[drafted.reference]),
                          {"a": first.pk, "b": second.pk})
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    runs = [run for p in document.paragraphs for run in p.runs]
    assert any(r.text == "seis" and r.font.strike for r in runs)
    assert any(r.text == "tres" and r.font.underline for r in runs)
    assert not any(r.font.strike or r.font.underline for r in runs if "agroalimentare" in r.text)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 2")]
    assert headings == ["Art. 3 (modificato)", "Art. 7 (modificato)"]
    # comparing writes nothing
    assert DocumentVersion.objects.filter(agreement=drafted).count() == 2
    assert not AuditEvent.objects.filter(agreement=drafted, action__startswith="compare").exists()


def test_compare_of_an_uploaded_docx_with_the_recorded_articles(client, drafter, drafted, media_root):
    # given the counterpart's revised text, uploaded as .docx: article 2 reworded, article 9 removed, 10 added
    data, _revision = documents.render_for_agreement(drafted, "intesa_bilingue")
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    for paragraph in table.rows[2].cells[0].paragraphs:
        for run in paragraph.runs:
            run.text = run.text.replace("stabilisce il quadro", "definisce il quadro")
    last = table.rows[9]
    for cell in last.cells:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.text = run.text.replace("Art. 9", "Art. 10")
    out = io.BytesIO()
    document.save(out)
    uploaded = documents.document_upload(agreement=drafted, doc_type="testo_revisionato",
                                         upload=SimpleUploadedFile("rivisto.docx", out.getvalue()), actor=drafter)
    diffs = compare.compare(compare.version_text(drafted, compare.RECORDED),
                            compare.version_text(drafted, str(uploaded.pk)))
    assert [(d.number, d.status) for d in diffs] == [(2, "changed"), (9, "removed"), (10, "added")]
    words = dict(diffs[0].columns)["Italiano"]
    assert ("removed", "stabilisce") in words and ("added", "definisce") in words


def test_compare_refuses_a_version_of_another_agreement_and_an_unknown_choice(client, drafter, drafted, media_root):
    other = records.agreement_create(actor=drafter, title="Altro", kind="intesa", counterpart=drafted.counterpart,
                                     languages=["it", "es"])
    foreign = documents.document_generate(agreement=other, template_name="intesa_bilingue", actor=drafter)
    client.force_login(drafter)
    url = reverse("documents:compare", args=[drafted.reference])
    assert client.get(url, {"a": "testo", "b": foreign.pk}).status_code == 404
    assert client.get(url, {"a": "testo", "b": "../../etc"}).status_code == 404
    assert client.get(url).status_code == 200
    assert Article.objects.filter(agreement=drafted).count() == 9
