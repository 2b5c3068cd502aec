"""The private ICS calendar feed: parsed back with icalendar, stable UIDs, visibility, revocation."""

import datetime
import re

import pytest
from icalendar import Calendar

from agreements.models import AuditEvent, Opinion, RenewalClause, Status, UserToken
from agreements.reminders import services as reminders
from tests.support.factories import AgreementFactory, InForceAgreementFactory

D = datetime.date


def feed(client, key):
    return client.get(f"/promemoria/calendario/{key}.ics")


def events_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def agri_agreements(dg_agri, dg_crli, drafter):
    tacit = InForceAgreementFactory(reference="INT-2022-003", drafted_by=drafter, dgs=[dg_agri],
                                    end_date=D(2025, 4, 27), renewal_clause=RenewalClause.TACIT,
                                    renewal_notice_days=90)
    consulting = AgreementFactory(reference="MOU-2025-001", drafted_by=drafter, dgs=[dg_agri],
                                  status=Status.CONSULTATION, consultation_round=2)
    Opinion.objects.create(agreement=consulting, dg=dg_agri, round=2, due_date=D(2025, 3, 20))
    Opinion.objects.create(agreement=consulting, dg=dg_agri, round=1, due_date=D(2025, 1, 10), kind="unfavourable")
    waiting = AgreementFactory(reference="INT-2025-002", drafted_by=drafter, dgs=[dg_agri],
                               status=Status.OBSERVATIONS, notice_government_date=D(2025, 2, 3))
    other_dg = InForceAgreementFactory(reference="INT-2023-009", drafted_by=drafter, dgs=[dg_crli],
                                       end_date=D(2026, 6, 30))
    return tacit, consulting, waiting, other_dg


@pytest.mark.django_db
def test_feed_lists_the_deadlines_a_referent_may_see_with_stable_uids(client, referent_agri, agri_agreements):
    token = reminders.calendar_token_issue(actor=referent_agri)
    events = events_of(feed(client, token.key))
    # expiry, last day for notice of non-renewal, current-round consultation deadline, end of the 30-day wait
    assert set(events) == {
        "INT-2022-003-expiry-20250427@intese",
        "INT-2022-003-non_renewal_notice-20250127@intese",
        "MOU-2025-001-consultation_deadline-20250320@intese",
        "INT-2025-002-observations_end-20250305@intese",
    }
    expiry = events["INT-2022-003-expiry-20250427@intese"]
    assert expiry.decoded("DTSTART") == D(2025, 4, 27)
    assert expiry.decoded("DTEND") == D(2025, 4, 28)
    assert "INT-2022-003" in str(expiry["SUMMARY"]) and "Scadenza" in str(expiry["SUMMARY"])
    assert str(expiry["URL"]).endswith("/accordi/INT-2022-003/")
    # another DG's agreement is absent
    assert not any("INT-2023-009" in uid for uid in events)
    # and fetching again gives the same UIDs (calendar clients update, not duplicate)
    assert set(events_of(feed(client, token.key))) == set(events)


@pytest.mark.django_db
def test_gabinetto_roles_see_every_agreement(client, observer, agri_agreements):
    token = reminders.calendar_token_issue(actor=observer)
    assert "INT-2023-009-expiry-20260630@intese" in events_of(feed(client, token.key))


@pytest.mark.django_db
def test_revoked_or_replaced_token_gets_404(client, referent_agri, agri_agreements):
    first = reminders.calendar_token_issue(actor=referent_agri)
    second = reminders.calendar_token_issue(actor=referent_agri)
    assert feed(client, first.key).status_code == 404
    assert feed(client, second.key).status_code == 200
    reminders.calendar_token_revoke(actor=referent_agri)
    assert feed(client, second.key).status_code == 404
    assert feed(client, "not-a-key").status_code == 404
    actions = list(AuditEvent.objects.filter(actor=referent_agri).values_list("action", flat=True))
    assert sorted(actions) == ["calendar_token_issue", "calendar_token_issue", "calendar_token_revoke"]


@pytest.mark.django_db
def test_an_inactive_users_feed_is_404(client, referent_agri, agri_agreements):
    token = reminders.calendar_token_issue(actor=referent_agri)
    referent_agri.is_active = False
    referent_agri.save()
    assert feed(client, token.key).status_code == 404


@pytest.mark.django_db
def test_an_api_token_is_not_a_calendar_key(client, referent_agri):
    api = UserToken.issue(user=referent_agri, purpose=UserToken.Purpose.API)
    assert feed(client, api.key).status_code == 404


@pytest.mark.django_db
def test_calendar_page_creates_and_revokes_the_address(client, referent_agri, agri_agreements):
    client.force_login(referent_agri)
    page = client.get("/promemoria/calendario/")
    assert page.status_code == 200 and "Crea l'indirizzo del calendario" in page.content.decode()
    assert client.post("/promemoria/calendario/", {"azione": "crea"}).status_code == 302
    # the address is shown once, on the page after its creation: the database keeps only the key's hash
    page = client.get("/promemoria/calendario/").content.decode()
    key = re.search(r"/promemoria/calendario/([\w-]+)\.ics", page).group(1)
    token = UserToken.objects.get(user=referent_agri, revoked_at__isnull=True)
    assert token.prefix == key[:8] and key not in token.key_hash
    assert feed(client, key).status_code == 200
    page = client.get("/promemoria/calendario/").content.decode()
    assert key not in page and f"«{token.prefix}»" in page and "Crea un nuovo indirizzo" in page
    assert client.post("/promemoria/calendario/", {"azione": "revoca"}).status_code == 302
    assert feed(client, key).status_code == 404
    # revoking twice is refused with a message, nothing changes
    response = client.post("/promemoria/calendario/", {"azione": "revoca"}, follow=True)
    assert "Non hai un indirizzo del calendario attivo." in response.content.decode()


@pytest.mark.django_db
def test_calendar_page_needs_login(client):
    assert client.get("/promemoria/calendario/").status_code == 302
