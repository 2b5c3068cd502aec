"""The history shows an article change as a readable difference in words: which article, which language, the
words taken out and put in; added and removed articles by number. Nothing else of the text is repeated."""

import csv
import io

import pytest
from django.urls import reverse

from agreements.history.selectors import history
from agreements.models import AuditEvent
from agreements.records import services as records
from tests.support.factories import CounterpartFactory

pytestmark = pytest.mark.django_db


def rows_of(agreement):
    return [{"number": a.number, "heading_it": a.heading_it, "text_it": a.text_it,
             "translations": {k: dict(v) for k, v in a.translations.items()}} for a in agreement.articles.all()]


def test_an_article_change_reads_as_a_difference_in_words(client, drafter):
    # given a drafted Intesa in Italian and French
    agreement = records.agreement_create(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind="intesa", languages=["it", "fr"],
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine", language="fr"), duration_months=36)
    rows = rows_of(agreement)
    # when the drafter shortens the notice of withdrawal in French, renames article 2 and drops article 9
    rows[6]["translations"]["fr"]["text"] = rows[6]["translations"]["fr"]["text"].replace("six mois", "trois mois")
    rows[1]["heading_it"] = "Oggetto della collaborazione"
    del rows[8]
    records.articles_replace(agreement=agreement, actor=drafter, articles=rows)
    # then the history line names the article and language and shows the words out and in
    line = next(line for line in history(agreement) if "ha modificato gli articoli" in line.sentence)
    assert [label for label, _ops in line.text_changes] == ["Art. 2 (italiano), rubrica", "Art. 7 (francese), testo"]
    assert ("removed", "six") in line.text_changes[1][1] and ("added", "trois") in line.text_changes[1][1]
    assert ("added", " della collaborazione") in line.text_changes[0][1]
    assert ("Articoli tolti", "art. 9") in line.notes
    client.force_login(drafter)
    page = client.get(reverse("history:page", args=[agreement.reference])).content.decode()
    assert '<del class="diff">six</del><ins class="diff">trois</ins>' in page
    assert "Art. 7 (francese), testo" in page and "Articoli tolti" in page
    # unchanged articles are not repeated, and no raw code shows
    assert "Art. 3 (" not in page and "articles_replace" not in page and "heading" not in page
    csv_text = client.get(reverse("history:csv", args=[agreement.reference])).content.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(csv_text), delimiter=";") if "articoli" in r[4])
    assert "[-six-]{+trois+}" in row[5]
    # the raw event keeps before and after as written
    event = AuditEvent.objects.filter(agreement=agreement, action="articles_replace").get()
    assert event.detail["removed"] == [9] and event.detail["added"] == []
    assert {(c["number"], c["language"], c["part"]) for c in event.detail["changes"]} == {
        (2, "it", "heading"), (7, "fr", "text")}
