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


@pytest.fixture(autouse=True)
def wide_window(settings):
    """The fixtures' deadlines lie in 2025-2026: a window wide enough to hold them (the window has its own tests)."""
    settings.CALENDAR_FEED_PAST_DAYS = 20 * 365
    settings.CALENDAR_FEED_FUTURE_DAYS = 20 * 365


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


# --- window, validators, cost ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_holds_the_window_from_30_days_ago_to_two_years_ahead(client, settings, observer, dg_agri):
    from agreements.common import dates

    settings.CALENDAR_FEED_PAST_DAYS, settings.CALENDAR_FEED_FUTURE_DAYS = 30, 730
    today = dates.today()
    days = {"old": -31, "first": -30, "last": 730, "late": 731}
    for name, offset in days.items():
        InForceAgreementFactory(reference=f"INT-{name}", dgs=[dg_agri], end_date=today + datetime.timedelta(offset))
    # tacit renewal expiring after the window: its notice day (90 days before) falls inside it
    InForceAgreementFactory(reference="INT-tacit", dgs=[dg_agri], end_date=today + datetime.timedelta(800),
                            renewal_clause=RenewalClause.TACIT, renewal_notice_days=90)
    token = reminders.calendar_token_issue(actor=observer)
    uids = set(events_of(feed(client, token.key)))
    assert uids == {
        f"INT-first-expiry-{today - datetime.timedelta(30):%Y%m%d}@intese",
        f"INT-last-expiry-{today + datetime.timedelta(730):%Y%m%d}@intese",
        f"INT-tacit-non_renewal_notice-{today + datetime.timedelta(710):%Y%m%d}@intese",
    }
    settings.CALENDAR_FEED_PAST_DAYS = 31  # the setting (env CALENDAR_FEED_PAST_DAYS) moves the window
    assert f"INT-old-expiry-{today - datetime.timedelta(31):%Y%m%d}@intese" in events_of(feed(client, token.key))


@pytest.mark.django_db
def test_feed_answers_304_until_an_event_changes(client, referent_agri, agri_agreements):
    from agreements.models import Agreement

    token = reminders.calendar_token_issue(actor=referent_agri)
    first = feed(client, token.key)
    events_of(first)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag and modified and "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    again = client.get(f"/promemoria/calendario/{token.key}.ics", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    since = client.get(f"/promemoria/calendario/{token.key}.ics", HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304
    # a change made without touching updated_at (a bulk update) still changes the feed and its validator
    Agreement.objects.filter(reference="INT-2022-003").update(end_date=D(2025, 5, 2))
    changed = client.get(f"/promemoria/calendario/{token.key}.ics", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "INT-2022-003-expiry-20250502@intese" in events_of(changed)
    # so does a pending opinion's new due date
    Opinion.objects.filter(agreement=agri_agreements[1], round=2).update(due_date=D(2025, 3, 27))
    newer = client.get(f"/promemoria/calendario/{token.key}.ics", HTTP_IF_NONE_MATCH=changed["ETag"])
    assert newer.status_code == 200 and "MOU-2025-001-consultation_deadline-20250327@intese" in events_of(newer)


@pytest.mark.django_db
def test_feed_bytes_are_those_icalendar_writes(observer, dg_agri):
    """The feed is written line by line: the same bytes as an icalendar.Calendar of the same events, folding of
    long and accented lines and escaping of commas and semicolons included."""
    from django.conf import settings as conf
    from icalendar import Event

    from agreements.common.access import visible_agreements
    from agreements.common.links import agreement_url
    from agreements.models import ReminderKind
    from agreements.reminders.selectors import calendar_deadlines

    InForceAgreementFactory(reference="INT-2025-007", dgs=[dg_agri], end_date=D(2026, 2, 1),
                            title="Cooperazione; agricoltura, pesca e più servizi \\ per la città " * 3,
                            renewal_clause=RenewalClause.TACIT, renewal_notice_days=60)
    events = calendar_deadlines(visible_agreements(observer), start=D(2025, 1, 1), end=D(2027, 1, 1))
    assert len(events) == 2
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    name = "Intese: scadenze di un nome utente molto lungo, con virgole; e punti e virgola e accenti è à"
    cal = Calendar()
    for prop, value in (("prodid", "-//Regione//Intese//IT"), ("version", "2.0"), ("calscale", "GREGORIAN"),
                        ("x-wr-calname", name), ("x-wr-timezone", conf.TIME_ZONE)):
        cal.add(prop, value)
    for item in events:
        event = Event()
        event.add("uid", item["uid"])
        event.add("dtstamp", stamp)
        event.add("dtstart", item["date"])
        event.add("dtend", item["date"] + datetime.timedelta(days=1))
        event.add("summary", item["summary"])
        event.add("description", f"{item['description']}\n{agreement_url(item['agreement'].reference)}")
        event.add("url", agreement_url(item["agreement"].reference))
        event.add("categories", [str(ReminderKind(item["kind"]).label)])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    assert reminders.calendar_ics(events, name=name, stamp=stamp) == cal.to_ical()


@pytest.mark.django_db
def test_feed_queries_do_not_grow_with_the_agreements(client, referent_agri, dg_agri, agri_agreements,
                                                     django_assert_max_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = reminders.calendar_token_issue(actor=referent_agri)

    def cost():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            events_of(feed(client, token.key))
        return len(ctx.captured_queries)

    few = cost()
    for i in range(30):
        consulting = AgreementFactory(dgs=[dg_agri], status=Status.CONSULTATION, consultation_round=1)
        Opinion.objects.create(agreement=consulting, dg=dg_agri, round=1,
                               due_date=D(2025, 3, 1) + datetime.timedelta(i))
        InForceAgreementFactory(dgs=[dg_agri], end_date=D(2026, 1, 1) + datetime.timedelta(i),
                                renewal_clause=RenewalClause.TACIT, renewal_notice_days=30)
    assert cost() == few
    with django_assert_max_num_queries(few - 2):  # cached: the token and the fingerprint, not the rows
        events_of(feed(client, token.key))
