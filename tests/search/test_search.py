"""One search: PostgreSQL full-text search over records, articles in every language, opinions, remarks, notes and
the text of uploaded documents; ranked, highlighted, and only what the user may see (asserted on the bytes)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.common.audit import audit_record
from agreements.documents import services as documents
from agreements.models import Article, Opinion, SearchEntry
from agreements.search import selectors, services
from tests.support.documents import docx_bytes
from tests.support.factories import AgreementFactory, CounterpartFactory
from tests.support.signing import pdf_bytes, sign_p7m, sign_pdf, throwaway_signer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def signer():
    return throwaway_signer("Michele de Pascale")


def agreement(title, dgs=(), **fields):
    return AgreementFactory(title=title, dgs=list(dgs), counterpart=CounterpartFactory(name=f"Controparte {title}"),
                            **fields)


def article(agreement, number, text_it, text_other="", heading_it="Articolo", heading_other=""):
    other = next((code for code in agreement.languages or [] if code != "it"), "fr")
    translations = {other: {"heading": heading_other, "text": text_other}} if heading_other or text_other else {}
    return Article.objects.create(agreement=agreement, number=number, heading_it=heading_it, text_it=text_it,
                                  translations=translations)


def page(client, user, q):
    client.force_login(user)
    response = client.get(reverse("search:results"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def upload(agreement, user, name, data, doc_type="testo_revisionato"):
    version = documents.document_upload(agreement=agreement, doc_type=doc_type, actor=user,
                                        upload=SimpleUploadedFile(name, data))
    assert services.search_index_document(version_id=version.pk) is True
    return version


def test_a_word_only_inside_an_uploaded_pdf_is_found(client, drafter, signer, media_root):
    # given the signed PDF of an Intesa whose text says "bioeconomia", a word in no record, article or note
    pennsylvania = agreement("Intesa con la Pennsylvania", kind="intesa")
    article(pennsylvania, 1, "Le Parti collaborano nella ricerca.")
    other = agreement("Intesa con il Québec")
    upload(pennsylvania, drafter, "firmato.pdf", sign_pdf(pdf_bytes("Cooperazione nella bioeconomia circolare."),
                                                          signer), doc_type="copia_firmata")
    services.search_refresh_job()
    # when the drafter searches for it
    html = page(client, drafter, "bioeconomia")
    # then the one hit is the document, with the word highlighted in its snippet
    assert "1 risultato" in html or "Un risultato" in html
    assert pennsylvania.reference in html and other.reference not in html
    assert "<mark>bioeconomia</mark>" in html
    [hit] = selectors.search(drafter, "bioeconomia")
    assert hit.kind == "document" and hit.agreement_id == pennsylvania.pk


def test_a_title_hit_ranks_above_a_body_hit(client, drafter):
    # given one agreement with the word in an article's text (created first) and one with it in its title
    body_hit = agreement("Intesa con la Baviera")
    article(body_hit, 2, "Ambiti: ricerca, cultura, settore agroalimentare e turismo.")
    title_hit = agreement("Cooperazione agroalimentare con la Catalogna")
    services.search_refresh_job()
    # when someone searches the word
    hits = selectors.search(drafter, "agroalimentare")
    # then the title hit comes first, the body hit after it
    assert [(h.agreement_id, h.kind) for h in hits] == [(title_hit.pk, "agreement"), (body_hit.pk, "article")]
    assert hits[0].rank > hits[1].rank
    html = page(client, drafter, "agroalimentare")
    assert html.index(title_hit.reference) < html.index(body_hit.reference)
    # each hit shows its agreement, linked, with its title and counterpart
    for hit in (title_hit, body_hit):
        link = f'<a href="{reverse("agreements:detail", args=[hit.reference])}">{hit.reference}</a>'
        assert f"{link} · {hit.title}\n        <small>({hit.counterpart.name})</small>" in html


def test_a_dg_referent_never_finds_another_dgs_agreement(client, dg_agri, dg_crli, referent_agri, referent_crli,
                                                          drafter, director):
    # given an agreement of DG CRLI that says "zafferano" everywhere: title, article, opinion, remark, note, document
    secret = agreement("Intesa zafferano riservata", dgs=[dg_crli], notes="Nota interna sullo zafferano.")
    article(secret, 1, "Filiera dello zafferano di Navelli, testo riservato.", "Saffron supply chain, confidential.")
    Opinion.objects.create(agreement=secret, dg=dg_crli, round=1, kind="favourable_remarks",
                           notes="Parere: lo zafferano va tutelato.", due_date="2026-01-31")
    audit_record(actor=director, agreement=secret, action="agreement_decide",
                 detail={"decision": "send_back", "remarks": "Rivedere la clausola sullo zafferano."})
    upload(secret, drafter, "allegato.docx", docx_bytes("Allegato tecnico: zafferano e spezie riservate."))
    # and one of DG AGRI that mentions it too
    shared = agreement("Intesa zafferano agricola", dgs=[dg_agri])
    services.search_refresh_job()
    # when the DG AGRI referent searches the word
    html = page(client, referent_agri, "zafferano")
    # then only their DG's agreement is in the page: not one byte of the other one
    assert shared.reference in html
    for leak in (secret.reference, secret.title, "riservat", "Navelli", "Saffron", "tutelato", "clausola",
                 "Nota interna", "spezie", secret.counterpart.name):
        assert leak not in html, leak
    assert {h.agreement_id for h in selectors.search(referent_agri, "zafferano")} == {shared.pk}
    # while the DG CRLI referent finds every kind of text of their agreement (so the test above can fail)
    html = page(client, referent_crli, "zafferano")
    assert secret.reference in html and "Navelli" in html and "spezie" in html and shared.reference not in html
    kinds = {h.kind for h in selectors.search(referent_crli, "zafferano")}
    assert kinds == {"agreement", "article", "opinion", "remark", "note", "document"}


def test_articles_are_searched_in_every_language(drafter):
    baviera = agreement("Intesa con la Baviera", languages=["it", "de"])
    article(baviera, 3, "Le Parti promuovono la cooperazione.", "Die Parteien fördern die Zusammenarbeit.")
    services.search_refresh_job()
    [hit] = selectors.search(drafter, "Zusammenarbeit")
    assert hit.kind == "article" and hit.language == "de" and "<mark>Zusammenarbeit</mark>" in hit.snippet
    # Italian is stemmed: the plural finds the singular
    [hit] = selectors.search(drafter, "cooperazioni")
    assert hit.language == "it"


def test_agroalimentare_finds_every_text_that_mentions_it_that_the_user_may_see(
    client, dg_agri, dg_crli, referent_agri, drafter, director, signer, media_root
):
    # given the word in a title, an article, an opinion, a remark, a note, an uploaded .docx and a .p7m
    a_title = agreement("Intesa agroalimentare con la Nouvelle-Aquitaine", dgs=[dg_agri])
    a_article = agreement("Intesa con la Pennsylvania", dgs=[dg_agri])
    article(a_article, 2, "Ricerca e innovazione nel settore agroalimentare.")
    a_opinion = agreement("Memorandum con il Québec", dgs=[dg_agri])
    Opinion.objects.create(agreement=a_opinion, dg=dg_agri, round=1, kind="favourable",
                           notes="Favorevole: utile al comparto agroalimentare.", due_date="2026-01-31")
    a_remark = agreement("Intesa con la Baviera", dgs=[dg_agri])
    audit_record(actor=director, agreement=a_remark, action="agreement_decide",
                 detail={"decision": "send_back", "remarks": "Precisare gli impegni nel campo agroalimentare."})
    a_note = agreement("Intesa con la Catalogna", dgs=[dg_agri], notes="Priorità: filiera agroalimentare.")
    a_docx = agreement("Intesa con il Guangdong", dgs=[dg_agri])
    upload(a_docx, drafter, "testo.docx", docx_bytes("Programma di lavoro agroalimentare 2026."))
    a_p7m = agreement("Intesa con il Paraná", dgs=[dg_agri])
    upload(a_p7m, drafter, "firmato.pdf.p7m", sign_p7m(pdf_bytes("Cooperazione agroalimentare."), signer),
           doc_type="copia_firmata")
    hidden = agreement("Intesa agroalimentare della DG CRLI", dgs=[dg_crli])
    quiet = agreement("Intesa sulla cultura", dgs=[dg_agri])
    services.search_refresh_job()
    # when the DG AGRI referent types "agroalimentare" in the search box
    html = page(client, referent_agri, "agroalimentare")
    # then every text of their DG that mentions it is there, each of its kind, and nothing else
    found = {(h.agreement_id, h.kind) for h in selectors.search(referent_agri, "agroalimentare")}
    assert found == {(a_title.pk, "agreement"), (a_article.pk, "article"), (a_opinion.pk, "opinion"),
                     (a_remark.pk, "remark"), (a_note.pk, "note"), (a_docx.pk, "document"), (a_p7m.pk, "document")}
    for shown in (a_title, a_article, a_opinion, a_remark, a_note, a_docx, a_p7m):
        assert shown.reference in html
    assert hidden.reference not in html and hidden.title not in html and quiet.reference not in html
    assert "7 risultati" in html


def test_the_search_page_costs_a_bounded_number_of_queries(client, drafter, django_assert_max_num_queries):
    for n in range(40):
        a = agreement(f"Intesa agroalimentare numero {n}")
        article(a, 1, "Settore agroalimentare e ricerca.")
    services.search_refresh_job()
    client.force_login(drafter)
    # the session, the user (with roles and unread count), the ranked entries, their snippets
    with django_assert_max_num_queries(4):
        response = client.get(reverse("search:results"), {"q": "agroalimentare"})
    assert response.content.decode().count("search-hit") == selectors.DEFAULT_LIMIT


def test_snippets_escape_what_was_written(client, drafter):
    hostile = agreement('Intesa <script>alert("x")</script> agroalimentare')
    article(hostile, 1, "<img src=x onerror=alert(1)> agroalimentare")
    services.search_refresh_job()
    html = page(client, drafter, "agroalimentare")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "<mark>agroalimentare</mark>" in html


def test_the_refresh_reindexes_what_changed_and_forgets_what_was_removed(drafter):
    a = agreement("Intesa con la Baviera")
    old = article(a, 1, "Testo sul luppolo.")
    services.search_refresh_job()
    assert [h.agreement_id for h in selectors.search(drafter, "luppolo")] == [a.pk]
    # when the article changes (an audited write names the agreement) and the refresh runs
    Article.objects.filter(pk=old.pk).update(text_it="Testo sulla birra.")
    audit_record(actor=drafter, agreement=a, action="articles_update", detail={})
    services.search_refresh_job()
    # then the old word is gone and the new one is found
    assert selectors.search(drafter, "luppolo") == []
    assert [h.agreement_id for h in selectors.search(drafter, "birra")] == [a.pk]
    # and running it again changes nothing (one entry per text)
    before = SearchEntry.objects.count()
    services.search_refresh_job()
    assert SearchEntry.objects.count() == before


def test_the_sqlite_fallback_gives_the_same_page(client, drafter, dg_crli, referent_agri, monkeypatch):
    # the embedded SQLite has no full-text search: the same page with a contains search (run here on PostgreSQL)
    monkeypatch.setattr(selectors, "full_text_search_available", lambda: False)
    body_hit = agreement("Intesa con la Baviera")
    article(body_hit, 1, "Settore agroalimentare e turismo.")
    title_hit = agreement("Cooperazione agroalimentare")
    hidden = agreement("Intesa agroalimentare riservata", dgs=[dg_crli])
    services.search_refresh_job()
    assert not SearchEntry.objects.filter(vector__isnull=True).exists()
    hits = selectors.search(drafter, "agroalimentare")
    assert [(h.agreement_id, h.kind) for h in hits] == [(hidden.pk, "agreement"), (title_hit.pk, "agreement"),
                                                        (body_hit.pk, "article")]
    html = page(client, drafter, "agroalimentare")
    assert "<mark>agroalimentare</mark>" in html
    assert hidden.reference not in page(client, referent_agri, "agroalimentare")


def test_an_empty_query_shows_the_box_and_no_results(client, drafter):
    agreement("Intesa con la Baviera")
    services.search_refresh_job()
    html = page(client, drafter, "   ")
    assert 'id="search-page-q"' in html and "search-hit" not in html and "risultat" not in html


def test_search_reindex_command_rebuilds_the_index(drafter, media_root):
    from io import StringIO

    from django.core.management import call_command

    a = agreement("Intesa con la Baviera")
    upload(a, drafter, "testo.docx", docx_bytes("Birra e luppolo."))
    SearchEntry.objects.all().delete()
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "Indicizzati 1 accordi, 0 attività e 1 documenti." in out.getvalue()
    assert {h.kind for h in selectors.search(drafter, "luppolo")} == {"document"}
    assert [h.agreement_id for h in selectors.search(drafter, "Baviera")] == [a.pk]


def _bulk_indexed(n, start, counterpart, dg):
    """`n` agreements of `dg` with their record in the search index, written by the index's own batch store (rows
    with their vectors), without extracting their texts one by one."""
    from agreements.models import Agreement, AgreementKind, Status
    from agreements.search.sources import SearchText

    agreements = Agreement.objects.bulk_create(
        Agreement(reference=f"SRC-{i:06d}", title=f"Intesa agroalimentare numero {i}", kind=AgreementKind.INTESA,
                  status=Status.IN_FORCE, counterpart=counterpart) for i in range(start, start + n))
    Agreement.dgs.through.objects.bulk_create(Agreement.dgs.through(agreement=a, sector=dg) for a in agreements)
    services._store_entries([
        services._entry(SearchText(kind="agreement", source_id=a.pk, language="it", title=a.title,
                                   body=f"{a.reference} filiera agroalimentare"), agreement_id=a.pk)
        for a in agreements])


@pytest.mark.parametrize("who", ["drafter", "referent_agri"])
def test_the_search_page_costs_the_same_queries_with_10_and_3000_matching_agreements(client, request, who, dg_agri,
                                                                                    dg_crli):
    # given a few agreements that match, half of them of the referent's DG
    user = request.getfixturevalue(who)
    client.force_login(user)
    counterpart = CounterpartFactory(name="Controparte comune")
    _bulk_indexed(5, 0, counterpart, dg_agri)
    _bulk_indexed(5, 100, counterpart, dg_crli)

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            html = page(client, user, "agroalimentare")
        assert "search-hit" in html
        return html, len(ctx.captured_queries)

    html, few = queries()
    assert html.count("search-hit") == (10 if who == "drafter" else 5)
    # when thousands more match
    _bulk_indexed(1500, 1000, counterpart, dg_agri)
    _bulk_indexed(1500, 5000, counterpart, dg_crli)
    html, many = queries()
    # then the page costs the same queries and shows the first page of hits only
    assert many == few
    assert html.count("search-hit") == selectors.DEFAULT_LIMIT
    if who == "referent_agri":
        assert "SRC-0051" not in html and "SRC-0001" not in html  # DG CRLI's agreements never show
