"""Activities of the register in the one search: their record (title, notes, place, counterparts, spillover) and
the text of their attachments are found, linked to the activity, by who may see the activity and by no one else
(asserted on the response bytes)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from agreements.activities.services import activity_attachment_upload, activity_create, activity_update
from agreements.models import ActivityKind, Article, SearchEntry
from agreements.search import selectors, services
from tests.support.factories import AgreementFactory, CounterpartFactory
from tests.support.signing import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def agri_mission(drafter, dg_agri, media_root):
    """A mission involving DG AGRI only: a word only in its notes, a word only inside its PDF minutes."""
    counterpart = CounterpartFactory(name="Région Nouvelle-Aquitaine", country="Francia", country_code="FR")
    activity = activity_create(
        actor=drafter, kind=ActivityKind.SYSTEM_MISSION, title="Missione di sistema a Bordeaux",
        starts_on=datetime.date(2023, 4, 12), place="Bordeaux", country_code="FR", dgs=[dg_agri],
        counterparts=[counterpart], notes="Incontro sulla filiera della castanicoltura appenninica.",
        follow_up_projects="Progetto Interreg sulle sementi",
    )
    version = activity_attachment_upload(
        actor=drafter, activity=activity, doc_type="verbale_attivita",
        upload=SimpleUploadedFile("verbale.pdf", pdf_bytes("Verbale: si valuta un gemellaggio enologico.")))
    return activity, version


def page(client, user, q) -> bytes:
    client.force_login(user)
    response = client.get(reverse("search:results"), {"q": q})
    assert response.status_code == 200
    return response.content


def test_an_activity_is_found_by_its_notes_and_its_attachment_by_who_may_see_it(
        client, drafter, referent_agri, referent_crli, agri_mission):
    activity, version = agri_mission
    # given the worker's two jobs have run after the commits (the activity's record, the attachment's text)
    assert services.search_index_activity(activity_id=activity.pk) == 1
    assert services.search_index_document(version_id=version.pk) is True
    link = reverse("activities:detail", args=[activity.pk]).encode()
    for user in (drafter, referent_agri):
        # when who may see the activity searches a word only in its notes
        html = page(client, user, "castanicoltura")
        # then the activity is found, linked to its page, the word highlighted
        assert link in html and b"<mark>castanicoltura</mark>" in html
        assert b"Missione di sistema a Bordeaux" in html
        # and a word only inside its PDF attachment finds the attachment, linked to the activity
        html = page(client, user, "enologico")
        assert link in html and b"<mark>enologico</mark>" in html and b"verbale.pdf" in html
        [hit] = selectors.search(user, "enologico")
        assert (hit.kind, hit.activity_id, hit.agreement_id) == ("document", activity.pk, None)
    # the counterpart and the spillover are searched too
    assert [h.activity_id for h in selectors.search(drafter, "sementi")] == [activity.pk]
    assert [h.activity_id for h in selectors.search(drafter, "Nouvelle-Aquitaine")] == [activity.pk]
    # but the referent of another DG finds nothing of it, not one byte
    for word in ("castanicoltura", "enologico", "Bordeaux", "sementi"):
        html = page(client, referent_crli, word)
        assert b"Nessun risultato" in html
        assert link not in html and b"Bordeaux" not in html.replace(word.encode(), b"")
        assert b"castanicoltura" not in html.replace(word.encode(), b"") and b"gemellaggio" not in html
        assert selectors.search(referent_crli, word) == []


def test_an_activity_title_ranks_above_a_mention_in_notes(drafter, media_root):
    # given one activity with the word in its notes (recorded first) and one with it in its title
    in_notes = activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Evento a Bologna",
                               starts_on=datetime.date(2023, 2, 1), notes="Si è parlato di bioeconomia.")
    in_title = activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Forum sulla bioeconomia",
                               starts_on=datetime.date(2023, 3, 1))
    services.search_refresh_job()
    # then the title hit comes first
    assert [h.activity_id for h in selectors.search(drafter, "bioeconomia")] == [in_title.pk, in_notes.pk]


def test_agreements_and_activities_are_ranked_together_for_who_sees_some_of_each(
        drafter, referent_agri, nogroup_user, dg_agri, dg_crli, media_root):
    # given, of DG AGRI, an agreement with the word in an article (a body hit, written first), an activity and an
    # agreement with it in their titles; of DG CRLI an activity with it in its title
    in_article = AgreementFactory(title="Intesa con la Baviera", dgs=[dg_agri])
    Article.objects.create(agreement=in_article, number=1, heading_it="Ambiti", text_it="Filiera della bioeconomia.")
    titled = activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Forum sulla bioeconomia",
                             starts_on=datetime.date(2023, 3, 1), dgs=[dg_agri])
    agreement_titled = AgreementFactory(title="Intesa sulla bioeconomia", dgs=[dg_agri])
    other_dg = activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Bioeconomia in Emilia",
                               starts_on=datetime.date(2023, 5, 1), dgs=[dg_crli])
    services.search_refresh_job()
    # when the DG AGRI referent searches it
    hits = selectors.search(referent_agri, "bioeconomia")
    # then their DG's three texts come in one ranking: both titles above the article, whatever their owner
    assert {(h.agreement_id, h.activity_id, h.kind) for h in hits[:2]} == {(None, titled.pk, "activity"),
                                                                           (agreement_titled.pk, None, "agreement")}
    assert (hits[2].agreement_id, hits[2].kind) == (in_article.pk, "article") and len(hits) == 3
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True) and hits[1].rank > hits[2].rank
    # the Gabinetto finds the other DG's activity too; a user who sees no agreement and no activity, nothing
    assert {h.activity_id for h in selectors.search(drafter, "bioeconomia")} == {titled.pk, other_dg.pk, None}
    assert selectors.search(nogroup_user, "bioeconomia") == []


def test_an_edited_activity_is_reindexed_by_the_refresh_and_reindex_rebuilds_it(drafter, agri_mission):
    activity, version = agri_mission
    # given the refresh has indexed the activity and its attachment (their messages lost, say)
    done = services.search_refresh_job()
    assert done["activities"] >= 1 and done["documents"] == 1
    assert selectors.search(drafter, "castanicoltura")
    # when the notes change, the refresh (reading the audit trail) re-indexes it
    activity_update(actor=drafter, activity=activity, notes="Incontro sulla filiera del kiwi.")
    services.search_refresh_job()
    assert selectors.search(drafter, "castanicoltura") == [] and selectors.search(drafter, "kiwi")
    assert SearchEntry.objects.filter(activity=activity, kind="activity").count() == 1
    # and `search_reindex` rebuilds the activities and their attachments from nothing
    SearchEntry.objects.all().delete()
    call_command("search_reindex", stdout=io.StringIO())
    assert [h.activity_id for h in selectors.search(drafter, "kiwi")] == [activity.pk]
    assert [h.activity_id for h in selectors.search(drafter, "enologico")] == [activity.pk]
    assert SearchEntry.objects.filter(activity=activity).count() == 2
