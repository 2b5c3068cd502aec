"""Authorization matrix: every URL of the site (pages, Viewflow console, admin, API) against every role, with the
expected outcome written once in EXPECTED. The test fails for any URL pattern that has no entry, so a new page
cannot escape it; entries with * cover the URL families Django and Viewflow generate (admin pages, the views of each
flow node), where one rule holds for all.

Outcomes per role, in the order of ROLES (anonymous, no-group user, redattore, referente_dg of the object's DG,
referente_dg of another DG, dirigente, segreteria_giunta, osservatore, amministratore):
ok the page or action was reached (for a POST with valid data: done); login sent to log in; 403 forbidden;
404 not found (nothing revealed); 401 the API without a valid key; refused reached but the service said no
(an error message, a form shown again, an API 400/409/422); a|b either.
Each request runs in a savepoint rolled back afterwards: the matrix writes nothing. "X POST" rows post valid data.

Object isolation: a DG referent asking by id for another DG's agreement, document version, reminder, audit history,
calendar event, export row or task gets 404 (or nothing in a list) and not one byte of it.
"""

import fnmatch

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements.models import AgreementKind, AuditEvent, DocumentVersion
from agreements.search.services import search_reindex_all
from tests.support.authz_harness import path_for, request, url_patterns
from tests.support.authz_world import ROLES, START, World
from tests.support.factories import AgreementFactory

STAFF = "ok|403|404"  # the administrator inside Django's admin: what each admin page allows is the admin class's

EXPECTED = {
    # --- accounts, language ---------------------------------------------------------------------------------
    "set_language": "login ok ok ok ok ok ok ok ok",
    "login": "ok ok ok ok ok ok ok ok ok",
    "logout": "login login login login login login login login login",
    "password_change": "login ok ok ok ok ok ok ok ok",
    "password_change_done": "login ok ok ok ok ok ok ok ok",
    "password_reset": "ok ok ok ok ok ok ok ok ok",
    "password_reset_done": "ok ok ok ok ok ok ok ok ok",
    "password_reset_confirm": "ok ok ok ok ok ok ok ok ok",
    "password_reset_complete": "ok ok ok ok ok ok ok ok ok",
    "admin:login": "ok ok ok ok ok ok ok ok ok",
    "admin:logout": "login login login login login login login login login",
    # Django's admin: staff only (the administrator, as setup_demo creates them). Any page, any model.
    "admin:*": f"login login login login login login login login {STAFF}",
    "admin/*": f"login login login login login login login login {STAFF}",
    # --- Viewflow's console --------------------------------------------------------------------------------
    # Viewflow's site index lists the flows the user may see (none for most): no data.
    "index": "ok ok ok ok ok ok ok ok ok",
    # Viewflow's console: the Gabinetto roles only (AgreementFlow.has_view_permission); referents use task_page.
    "agreement:inbox": "403 403 ok 403 403 ok ok ok ok",
    "agreement:queue": "403 403 ok 403 403 ok ok ok ok",
    "agreement:archive": "403 403 ok 403 403 ok ok ok ok",
    "agreement:index": "403 403 ok 403 403 ok ok ok ok",
    "agreement:tasks_assign": "403 403 403 403 403 403 403 403 403",
    "agreement:tasks_unassign": "403 403 403 403 403 403 403 403 403",
    "agreement:process_list": "403 403 ok 403 403 ok ok ok ok",
    "agreement:process_detail": "403 403 ok 403 403 ok ok ok ok",
    "agreement:process_cancel": "403 403 403 403 403 403 403 403 403",
    "agreement:task_list": "403 403 ok 403 403 ok ok ok ok",
    "agreement:chart": "403 403 ok 403 403 ok ok ok ok",
    "agreement:process_chart": "403 403 ok 403 403 ok ok ok ok",
    # Node pages of Viewflow: * is any node of the flow. undo, cancel, revive, assign, unassign, process_cancel and
    # the bulk assign/unassign would change the process outside the services (no audit event): switched off, 403
    # for everyone, the administrator included (workflows/urls.py SWITCHED_OFF).
    "agreement:*:revive": "403 403 403 403 403 403 403 403 403",
    "agreement:*:undo": "403 403 403 403 403 403 403 403 403",
    "agreement:*:cancel": "403 403 403 403 403 403 403 403 403",
    "agreement:*:index": "403 403 ok 403 403 ok ok ok ok",
    "agreement:*:detail": "403 403 ok 403 403 ok ok ok ok",
    # execute on a done task shows "already completed" and leads to the agreement page; the open one (consult_dg
    # of C, DG AGRI's) is done by referents from task_page, never from the console.
    "agreement:*:execute": "403 403 ok 403 403 ok ok ok ok",
    "agreement:*:assign": "403 403 403 403 403 403 403 403 403",
    "agreement:*:unassign": "403 403 403 403 403 403 403 403 403",
    "agreement:consult_dg:execute": "403 403 403 403 403 403 403 403 ok",
    # A step's page, on C's open consultation task of DG AGRI: its referent acts, the Gabinetto sees it but may
    # not act (403), another DG's referent learns nothing (404).
    "task_page": "login 404 403 ok 404 403 403 403 ok",
    "task_page POST": "login 404 403 ok 404 403 403 403 ok",
    # Documents of A (DG AGRI): writers are redattore, segreteria_giunta, amministratore.
    "documents:versions": "login 404 ok ok 404 ok ok ok ok",
    "documents:generate": "login 404 refused refused 404 refused refused refused refused",
    "documents:generate POST": "login 404 ok refused 404 refused ok refused ok",
    "documents:upload": "login 404 refused refused 404 refused refused refused refused",
    "documents:upload POST": "login 404 ok refused 404 refused ok refused ok",
    "documents:download": "login 404 ok ok 404 ok ok ok ok",
    "documents:pdf": "login 404 ok refused 404 refused ok refused ok",
    "documents:templates": "login 403 403 403 403 403 403 403 ok",
    "documents:template_download": "login 403 403 403 403 403 403 403 ok",
    "documents:compare": "login 404 ok ok 404 ok ok ok ok",
    "documents:compare_download": "login 404 404 404 404 404 404 404 404",
    "clauses:library": "login 403 ok ok ok ok ok ok ok",
    "clauses:clause_edit": "login 403 403 403 403 403 403 403 ok",
    "clauses:clause_edit POST": "login 403 403 403 403 403 403 403 ok",
    "clauses:kind_template_edit": "login 403 403 403 403 403 403 403 ok",
    "clauses:kind_template_edit POST": "login 403 403 403 403 403 403 403 ok",
    # Operations pages: administrators only. outbox_retry on a message that has not failed is refused.
    "reminders:outbox": "login 403 403 403 403 403 403 403 ok",
    "reminders:outbox_retry": "login 403 403 403 403 403 403 403 refused",
    "reminders:health": "login 403 403 403 403 403 403 403 ok",
    "reminders:calendar": "login ok ok ok ok ok ok ok ok",
    # Notifications: each person's own (someone else's, or none, is 404); preferences for everyone logged in.
    "notifications:list": "login ok ok ok ok ok ok ok ok",
    # The search: anyone logged in; what they find is filtered by visible_agreements (isolation test below).
    "search:results": "login ok ok ok ok ok ok ok ok",
    "notifications:open": "login 404 404 404 404 404 404 404 404",
    "notifications:read_all": "login ok ok ok ok ok ok ok ok",
    "notifications:preferences": "login ok ok ok ok ok ok ok ok",
    # The history in words and its CSV: whoever sees the agreement.
    "history:page": "login 404 ok ok 404 ok ok ok ok",
    "history:csv": "login 404 ok ok 404 ok ok ok ok",
    "history:pdf": "login 404 ok ok 404 ok ok ok ok",
    "reminders:calendar POST": "login ok ok ok ok ok ok ok ok",
    # The feed's private key is the credential (no session): whoever holds the URL reads it.
    "reminders:calendar_feed": "ok ok ok ok ok ok ok ok ok",
    # Plan and exports need a role; each role sees only its visible agreements in them.
    "plan:monitoring": "login 403 ok ok ok ok ok ok ok",
    "plan:actual_record": "login 403 refused 403 403 refused 403 403 refused",
    # The plan's report: the world has no plan loaded, so there is no plan to report on (404) for every role.
    "plan:report": "login 403 404 404 404 404 404 404 404",
    # The activity register, stakeholders and territory pages: any role reads (within its visibility), drafters
    # and administrators write; the detail of an activity that does not exist (or that is not visible) is 404.
    "activities:list": "login 403 ok ok ok ok ok ok ok",
    "activities:create": "login 403 ok 403 403 403 403 403 ok",
    "activities:detail": "login 403 404 404 404 404 404 404 404",
    "activities:edit": "login 403 404 403 403 403 403 403 404",
    # The world has no activity: the drafter and the administrator reach the lookup and get 404; the attachments'
    # isolation between DGs is tested in tests/activities/test_activity_attachments.py.
    "activities:attachment_upload": "login 403 404 403 403 403 403 403 404",
    "activities:attachment_download": "login 403 404 404 404 404 404 404 404",
    "activities:stakeholders": "login 403 ok ok ok ok ok ok ok",
    "activities:stakeholder_create": "login 403 refused 403 403 403 403 403 refused",
    "activities:territory_index": "login 403 ok ok ok ok ok ok ok",
    "activities:territory_country": "login 403 ok ok ok ok ok ok ok",
    "activities:territory_counterpart": "login 403 ok ok 404 ok ok ok ok",
    "exports:index": "login 403 ok ok ok ok ok ok ok",
    "exports:register": "login 403 ok ok ok ok ok ok ok",
    "exports:transparency": "login 403 ok ok ok ok ok ok ok",
    "exports:plan_csv": "login 403 ok ok ok ok ok ok ok",
    "exports:plan_actions_csv": "login 403 ok ok ok ok ok ok ok",
    "exports:plan_indicators": "login 403 ok ok ok ok ok ok ok",
    "exports:plan_actions": "login 403 ok ok ok ok ok ok ok",
    # The import of the existing register: administrators only.
    "registry_import:upload": "login 403 403 403 403 403 403 403 ok",
    "exports:api_key": "login 403 ok ok ok ok ok ok ok",
    "exports:activities": "login 403 ok ok ok ok ok ok ok",
    "exports:stakeholders": "login 403 ok ok ok ok ok ok ok",
    "exports:indicator_values": "login 403 ok ok ok ok ok ok ok",
    # The API: a Bearer key per user (no key for a user without a role), the same visibility as the pages.
    "api:openapi-json": "ok ok ok ok ok ok ok ok ok",
    "api:openapi-view": "ok ok ok ok ok ok ok ok ok",
    "api:list_agreements": "401 401 ok ok ok ok ok ok ok",
    "api:start_proposal": "401 401 refused refused refused refused refused refused refused",
    "api:start_proposal POST": "401 401 ok 403 403 403 403 403 ok",
    "api:read_agreement": "401 401 ok ok 404 ok ok ok ok",
    "api:list_counterparts": "401 401 ok ok ok ok ok ok ok",
    "api:complete_task": "401 401 refused refused refused refused refused refused refused",
    "api:complete_task POST": "401 401 403 ok 404 403 403 403 ok",
    "api:read_plan": "401 401 ok ok ok ok ok ok ok",
    "api:list_indicators": "401 401 ok ok ok ok ok ok ok",
    "api:list_activities": "401 401 ok ok ok ok ok ok ok",
    "api:read_activity": "401 401 404 404 404 404 404 404 404",
    "api:list_stakeholders": "401 401 ok ok ok ok ok ok ok",
    "api:plan_values": "401 401 404 404 404 404 404 404 404",
    "api:api-root": "404 404 404 404 404 404 404 404 404",
    # The office's pages. A user without a role reaches the dashboard and the register (both empty); a form page
    # opens only for the roles whose write the service accepts (403 for the others, 404 where the agreement is
    # not visible).
    "agreements:dashboard": "login ok ok ok ok ok ok ok ok",
    "agreements:register": "login ok ok ok ok ok ok ok ok",
    "agreements:create": "login 403 ok 403 403 403 403 403 ok",
    "agreements:create POST": "login 403 ok 403 403 403 403 403 ok",
    "agreements:detail": "login 404 ok ok 404 ok ok ok ok",
    "agreements:edit": "login 404 ok 403 404 403 403 403 ok",
    "agreements:edit POST": "login 404 ok 403 404 403 403 403 ok",
    "agreements:articles": "login 404 ok 403 404 403 403 403 ok",
    "agreements:articles POST": "login 404 ok 403 404 403 403 403 ok",
    "agreements:signatories": "login 404 ok 403 404 403 403 403 ok",
    "agreements:signatories POST": "login 404 ok 403 404 403 403 403 ok",
    "agreements:renewal_start": "login 404 ok 403 404 403 403 403 ok",
    "agreements:renewal_start POST": "login 404 ok 403 404 403 403 403 ok",
    "agreements:renewal_decline": "login 404 ok 403 404 ok 403 403 ok",
    # A is not tacitly extended: the secretariat reaches the form, and the service refuses the informativa.
    "agreements:tacit_extension_inform": "login 404 403 403 404 403 ok 403 ok",
    "agreements:tacit_extension_inform POST": "login 404 403 403 404 403 refused 403 refused",
    "agreements:renewal_decline POST": "login 404 ok 403 404 ok 403 403 ok",
    "agreements:close": "login 404 403 403 404 ok 403 403 ok",
    "agreements:close POST": "login 404 403 403 404 ok 403 403 ok",
}


def _ref(name, agreement):
    return reverse(name, args=[agreement.reference])


def _proposal(world):
    return {"kind": "intesa", "title": "Intesa con l'Occitanie", "counterpart": world.a.counterpart_id,
            "dgs": [world.dg_agri.pk], "languages": "it, fr", "renewal_clause": "express", "consultation_days": "15"}


def _edit(world):
    d = world.d
    return {"_path": _ref("agreements:edit", d), "title": "Memorandum rivisto", "counterpart": d.counterpart_id,
            "dgs": [world.dg_agri.pk], "languages": "it, fr", "renewal_clause": "express", "consultation_days": "15",
            "version": str(d.version)}


def _articles(world):
    return {"_path": _ref("agreements:articles", world.d), "articles-TOTAL_FORMS": "1",
            "articles-INITIAL_FORMS": "0", "articles-0-number": "1", "articles-0-heading_it": "Oggetto",
            "articles-0-text_it": "Le Parti cooperano."}


def _signatories(world):
    return {"_path": _ref("agreements:signatories", world.d), "signatories-TOTAL_FORMS": "1",
            "signatories-INITIAL_FORMS": "0", "signatories-0-side": "region", "signatories-0-name": "Mario Rossi",
            "signatories-0-role": "Presidente"}


def _upload(world):
    with world.version.file.open("rb") as handle:
        return {"doc_type": world.version.doc_type, "file": SimpleUploadedFile("rivisto.docx", handle.read())}


# Valid data for the URLs that write: "<name> POST" rows of EXPECTED. D is in negotiation, A in force.
POSTS = {
    "agreements:create": _proposal,
    "agreements:edit": _edit,
    "agreements:articles": _articles,
    "agreements:signatories": _signatories,
    "agreements:close": lambda w: {"_path": _ref("agreements:close", w.d), "closure": "withdraw",
                                   "reason": "La controparte ha rinunciato."},
    "agreements:renewal_decline": lambda w: {"reason": "Obiettivi raggiunti."},
    "agreements:renewal_start": lambda w: {"confirm": "1"},
    "agreements:tacit_extension_inform": lambda w: {"date": "2026-01-12", "protocol": "AL/9"},
    "documents:generate": lambda w: {"template": "intesa_bilingue"},
    "documents:upload": _upload,
    "clauses:kind_template_edit": lambda w: {"clauses": "premesse\noggetto\nfinanziarie\nfinali"},
    "clauses:clause_edit": lambda w: {"heading_it": "Disposizioni finanziarie", "text_it": "Nessun onere per lo Stato.",
                                      "note": "più breve"},
    "task_page": lambda w: {"kind": "favourable", "notes": ""},
    "reminders:calendar": lambda w: {"azione": "crea"},
    "api:start_proposal": lambda w: {"title": "Intesa con l'Occitanie", "kind": "intesa",
                                     "counterpart": w.a.counterpart.name, "dgs": ["dg-agri"]},
    "api:complete_task": lambda w: {"step": "consult_dg", "data": {"kind": "favourable", "notes": ""}},
}


def expected_for(key: str) -> str | None:
    """The exact entry, else the most specific * entry matching the key."""
    if key in EXPECTED:
        return EXPECTED[key]
    patterns = [p for p in EXPECTED if "*" in p and fnmatch.fnmatchcase(key, p)]
    return EXPECTED[max(patterns, key=len)] if patterns else None


def matches(observed: str, expected: str) -> bool:
    return observed in expected.split("|")


def probes():
    """(key, route, name, post) for every URL pattern, plus a POST row for each URL in POSTS."""
    rows = []
    for key, route, name, _callback in url_patterns():
        rows.append((key, route, name, None))
        if name in POSTS:
            rows.append((f"{key} POST", route, name, POSTS[name]))
    return rows


def test_every_url_of_the_site_is_in_the_table():
    missing = [key for key, *_ in probes() if expected_for(key) is None]
    assert not missing, f"add these URLs to EXPECTED with the outcome for each role: {missing}"
    keys = {key for key, *_ in probes()}
    stale = [k for k in EXPECTED if "*" not in k and k not in keys]
    assert not stale, f"EXPECTED names URLs that no longer exist: {stale}"
    assert all(len(v.split()) == len(ROLES) for v in EXPECTED.values())
    # the table covers the whole site: pages, Viewflow's console, the admin and the API
    routes = {route for _, route, _, _ in probes()}
    assert {"accordi/<str:reference>/", "api/agreements/<reference>", "attivita/<int:task_pk>/"} <= routes
    assert any(r.startswith("workflow/agreement/") for r in routes) and any(r.startswith("admin/") for r in routes)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(START, tick=False) as clock:
        yield World(clock)


def test_authorization_matrix(world, capsys):
    mismatches, checked = [], 0
    for key, route, name, post in probes():
        expected = expected_for(key).split()
        for role, want in zip(ROLES, expected, strict=True):
            got = request(role, route, name, world, post=post)
            checked += 1
            if not matches(got, want):
                mismatches.append(f"{key} as {role}: expected {want}, got {got}")
    with capsys.disabled():
        print(f"\nauthorization matrix: {len(ROLES)} roles x {len(probes())} URLs and POST probes = {checked} checks")
    assert not mismatches, "\n".join(mismatches)


# --- CSRF on every form ------------------------------------------------------------------------------------


def test_every_form_refuses_a_post_without_the_csrf_token(world):
    """The POST probes above, as the administrator (allowed everywhere) with CSRF checks on and no token."""
    admin = world.users["amministratore"]
    before = AuditEvent.objects.count(), DocumentVersion.objects.count()
    refused = 0
    for key, route, name, post in probes():
        if post is None or route.startswith("api/"):  # the API authenticates with a header, not a cookie
            continue
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin)
        data = post(world)
        response = client.post(data.pop("_path", path_for(route, name, world)), data)
        assert response.status_code == 403, key
        refused += 1
    assert refused >= 10
    assert (AuditEvent.objects.count(), DocumentVersion.objects.count()) == before


# --- Object isolation --------------------------------------------------------------------------------------


def leaks(body: bytes, world, echo: str = "") -> list[str]:
    """What of agreements A and C (DG AGRI) a response body reveals, besides `echo`, the path the user asked for
    (the page's language switch sends it back)."""
    text = body.decode("utf-8", "replace").replace(echo, "") if echo else body.decode("utf-8", "replace")
    marks = [world.a.reference, world.a.title, world.a.counterpart.name, world.c.reference, world.c.title]
    found = [m for m in marks if m in text]
    with world.version.file.open("rb") as handle:
        if handle.read()[:2000] in body:
            found.append("the document's bytes")
    return found


def test_a_referent_of_another_dg_gets_404_and_not_one_byte(world):
    # given agreements A and C of DG AGRI, and E of DG CRLI, the other referent's own
    other = world.users["referente_other"]
    mine = AgreementFactory(kind=AgreementKind.INTESA, dgs=[world.dg_crli], title="Intesa di DG CRLI")
    reminders_scan(world)
    client = Client()
    client.force_login(other)
    api = Client(headers={"Authorization": f"Bearer {world.api_keys['referente_other']}"})
    version = world.version
    by_id = {
        "agreement": client.get(_ref("agreements:detail", world.a)),
        "audit history and reminders (agreement page)": client.get(_ref("agreements:detail", world.c)),
        "edit form": client.get(_ref("agreements:edit", world.a)),
        "documents": client.get(_ref("documents:versions", world.a)),
        "version download": client.get(reverse("documents:download", args=[world.a.reference, version.pk])),
        "version download through own agreement": client.get(
            reverse("documents:download", args=[mine.reference, version.pk])),
        "pdf of the version": client.post(reverse("documents:pdf", args=[world.a.reference, version.pk])),
        "task": client.get(reverse("task_page", args=[world.open_task.pk])),
        "task completed by id": client.post(reverse("task_page", args=[world.open_task.pk]),
                                            {"kind": "favourable", "notes": ""}),
        "api agreement": api.get(f"/api/agreements/{world.a.reference}"),
        "api task": api.post(f"/api/tasks/{world.open_task.pk}/complete",
                             '{"step": "consult_dg", "data": {"kind": "favourable"}}',
                             content_type="application/json"),
    }
    for what, response in by_id.items():
        assert response.status_code == 404, what
        assert leaks(response.content, world, echo=response.wsgi_request.get_full_path()) == [], what
    # lists: the register, the dashboard, exports, the API list and the calendar feed hold nothing of DG AGRI
    feed_key = reminders_key(other)
    lists = {
        "register": client.get(reverse("agreements:register")),
        "dashboard": client.get(reverse("agreements:dashboard")),
        "register export": client.get(reverse("exports:register", args=["csv"])),
        "transparency export": client.get(reverse("exports:transparency", args=["csv"]), {"semester": "2026-1"}),
        "api list": api.get("/api/agreements"),
        "calendar feed": _wide_feed(feed_key),
    }
    search_reindex_all()
    for word in (world.a.title.split()[-1], world.c.title.split()[-1], world.a.counterpart.name.split()[-1]):
        lists[f"search for {word!r}"] = client.get(reverse("search:results"), {"q": word})
    for what, response in lists.items():
        assert response.status_code == 200, what
        assert leaks(_body(response), world) == [], what
    # and nothing was written on their behalf about DG AGRI's agreements
    assert not AuditEvent.objects.filter(actor=other, agreement__isnull=False).exists()
    assert not world.open_task.__class__.objects.filter(pk=world.open_task.pk, status="DONE").exists()


def test_the_referent_of_the_dg_sees_the_same_objects(world):
    """The isolation test can fail: the same requests by DG AGRI's referent show A and C."""
    own = world.users["referente_own"]
    reminders_scan(world)
    client = Client()
    client.force_login(own)
    api = Client(headers={"Authorization": f"Bearer {world.api_keys['referente_own']}"})
    download = client.get(reverse("documents:download", args=[world.a.reference, world.version.pk]))
    assert download.status_code == 200 and "the document's bytes" in leaks(b"".join(download.streaming_content)
                                                                             if download.streaming else
                                                                             download.content, world)
    for response in (client.get(_ref("agreements:detail", world.a)), client.get(reverse("exports:register",
                                                                                         args=["csv"])),
                     api.get("/api/agreements"), _wide_feed(reminders_key(own))):
        assert response.status_code == 200
        assert world.a.reference in _body(response).decode()
    assert client.get(reverse("task_page", args=[world.open_task.pk])).status_code == 200
    search_reindex_all()
    found = client.get(reverse("search:results"), {"q": world.a.title.split()[-1]})
    assert found.status_code == 200 and world.a.reference in found.content.decode()


def _body(response) -> bytes:
    """The whole body, streamed (the CSV and XLSX downloads) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def _wide_feed(key):
    """The calendar feed with a window wide enough for A's expiry (three years after the world's 2026 start)."""
    from django.test import override_settings

    with override_settings(CALENDAR_FEED_PAST_DAYS=3650, CALENDAR_FEED_FUTURE_DAYS=3650):
        return Client().get(reverse("reminders:calendar_feed", args=[key]))


def reminders_scan(world):
    from agreements.reminders import services as reminders

    reminders.scan_due(today=START.date())


def reminders_key(user):
    from agreements.reminders import services as reminders

    return reminders.calendar_token_issue(actor=user).key
