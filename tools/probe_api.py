"""Hand probes of issue 14 against a RUNNING server (gunicorn or runserver, a Celery worker, an SMTP server):
every input that once made the API answer 500, store what it should refuse or drop what it should refuse, sent
over real HTTP. For each probe: the status, the content type, the fields the JSON answer names, and the rows of
every table before and after (a refused request must change none).

    # the SMTP server of the stack: prints what it receives, refuses (550) any address @rifiuta.invalid
    .venv/bin/python tools/probe_api.py smtp --port 2514
    # the probes (same DATABASE_URL and settings as the server; demo users from `manage.py setup_demo`)
    .venv/bin/python tools/probe_api.py probe --url http://127.0.0.1:8114 [--admin-password PW] [--markdown]

The probe run drives one "accordo" with a State through every step over the API (as redattore, dirigente and
segreteria, keys issued here), and at each step sends the refused variants before the valid payload. Setup writes
(keys, the valid steps, heartbeats, one message to a refused address for the health probe) happen between probes,
never inside a before/after window. Exit status 1 when a probe got a 5xx, a non-JSON answer, an unexpected status,
or changed a row.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFUSED_DOMAIN = "rifiuta.invalid"


# --- The SMTP server of the stack --------------------------------------------------------------------------------


def serve_smtp(port: int) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower().endswith("@" + REFUSED_DOMAIN):
                return "550 5.1.1 Mailbox unavailable (probe)"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            print(f"MAIL from={envelope.mail_from} to={envelope.rcpt_tos} bytes={len(envelope.content)}", flush=True)
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"SMTP on 127.0.0.1:{port}, refusing *@{REFUSED_DOMAIN}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


# --- HTTP ----------------------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status, content_type, body):
        self.status, self.content_type, self.body = status, content_type, body

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def fields(self) -> str:
        data = self.json
        if not isinstance(data, dict):
            return ""
        return ", ".join(sorted({e.get("field", "") for e in data.get("errors") or []}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(base, method, path, key=None, body=None, raw=None, opener=None, headers=None, cookies=None) -> Answer:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        response = (opener or urllib.request.build_opener(_NoRedirect)).open(request, timeout=120)
        answer = Answer(response.status, response.headers.get("Content-Type", ""), response.read())
        headers = response.headers
    except urllib.error.HTTPError as error:
        answer = Answer(error.code, error.headers.get("Content-Type", ""), error.read())
        headers = error.headers
    if cookies is not None:  # the production cookies are Secure: a cookie jar would not send them over plain HTTP
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
    return answer


# --- The probe run --------------------------------------------------------------------------------------------------


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()


def row_counts() -> dict:
    from django.apps import apps
    from django.db import connection

    tables = sorted({model._meta.db_table for model in apps.get_models()})
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


class Run:
    def __init__(self, base):
        self.base, self.rows, self.bad = base, [], 0

    def probe(self, name, method, path, key, body=None, raw=None, expect=(422,), field=None):
        before = row_counts()
        answer = http(self.base, method, path, key, body=body, raw=raw)
        after = row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        problems = []
        if answer.status >= 500:
            problems.append("5xx")
        if not answer.content_type.startswith("application/json"):
            problems.append("not JSON")
        if answer.status not in expect:
            problems.append(f"expected {'/'.join(map(str, expect))}")
        if answer.status >= 400 and changed:
            problems.append(f"rows changed {changed}")
        if field and answer.status == 422 and field not in answer.fields.split(", "):
            problems.append(f"field {field} not named")
        self.bad += bool(problems)
        body = answer.json
        detail = body.get("detail", "") if isinstance(body, dict) else answer.body[:120].decode(errors="replace")
        self.rows.append({"probe": name, "status": answer.status, "json": answer.content_type.startswith(
            "application/json"), "fields": answer.fields, "rows_changed": len(changed), "problems": problems,
            "detail": str(detail)[:140]})
        mark = "BAD " if problems else "ok  "
        print(f"{mark}{answer.status} {name} | fields: {answer.fields or '-'} | rows changed: {len(changed)}"
              f"{' | ' + '; '.join(problems) if problems else ''} | {str(detail)[:100]}", flush=True)
        return answer

    def step(self, key, task_id, step, data, expect=(200,)):
        """A setup write: a valid completion (must succeed)."""
        answer = http(self.base, "POST", f"/api/tasks/{task_id}/complete", key, body={"step": step, "data": data})
        if answer.status not in expect:
            raise SystemExit(f"setup step {step} failed: {answer.status} {answer.body[:500]!r}")
        return answer


def open_tasks(run, key, reference):
    detail = http(run.base, "GET", f"/api/agreements/{reference}", key).json
    return {t["step"]: t["id"] for t in detail["open_tasks"]}


DATE_FIELDS = {  # per step: the date fields, the valid payload (with today's date), who completes it
    "inform_assembly_start": ("segreteria", ["date"], lambda d: {"date": d, "protocol": "AL/2026/START"}),
    "notify_negotiations": ("segreteria", ["date"], lambda d: {"date": d, "protocol": "MAECI/2026/NEG",
                                                               "criteria": ""}),
    "negotiate": ("redattore", [], lambda d: {"confirm": True}),
    "approve": ("dirigente", [], lambda d: {"decision": "approve", "remarks": ""}),
    "giunta": ("segreteria", ["dgr_date"], lambda d: {"dgr_number": "57/2026", "dgr_date": d}),
    "notify_government": ("segreteria", ["date", "dar_received_on", "maeci_received_on"],
                          lambda d: {"date": d, "protocol": "PG/2026/001"}),
    "transmit_assembly": ("segreteria", ["date"], lambda d: {"date": d, "protocol": "AL/2026/002"}),
    "record_observations": ("segreteria", ["date", "full_powers_date"],
                            lambda d: {"outcome": "nulla_osta", "date": d, "text": "",
                                       "full_powers_date": d, "full_powers_protocol": "MAECI/2026/PP"}),
    "report_outcome": ("segreteria", ["date"], lambda d: {"date": d, "protocol": "AL/2026/ESITO"}),
    "assembly_observations": ("segreteria", ["date"], lambda d: {"outcome": "none", "date": None, "act": "",
                                                                 "text": ""}),
    "final_approval": ("segreteria", ["dgr_date"], lambda d: {"dgr_number": "80/2026", "dgr_date": d}),
    "sign": ("redattore", ["date", "delegation_date"],
             lambda d: {"place": "Bordeaux", "date": d, "region_signatory_office": "president",
                        "region_signatory_name": "Michele de Pascale", "delegation_act": "",
                        "delegation_date": None}),
    "ratify": ("segreteria", ["transmission_date", "committee_opinion_date", "date"],
               lambda d: {"transmission_date": d, "information_attached": True, "form": "resolution",
                          "act": "Delibera AL 12/2026", "date": d}),
    "publish": ("segreteria", ["published_on"], lambda d: {"burert_reference": "BURERT n. 45", "published_on": d,
                                                          "with_ratification_act": True}),
}
# Acts that cannot be dated in the future (issue 14, "dates the law allows"): a future date must be refused.
NOT_IN_FUTURE = {"giunta": ["dgr_date"], "notify_government": ["date", "dar_received_on", "maeci_received_on"],
                 "record_observations": ["date", "full_powers_date"], "final_approval": ["dgr_date"],
                 "sign": ["date"], "ratify": ["date"], "inform_assembly_start": ["date"],
                 "notify_negotiations": ["date"], "transmit_assembly": ["date"], "report_outcome": ["date"],
                 "publish": ["published_on"]}


def probe_all(base: str, admin_password: str | None) -> Run:
    setup_django()
    from django.contrib.auth import get_user_model

    from agreements.accounts.services import api_token_issue

    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["redattore", "dirigente", "segreteria", "amministratore"])}
    keys = {name: api_token_issue(user=user, actor=user).key for name, user in users.items()}
    run = Run(base)
    drafter = keys["redattore"]
    today = datetime.date.today()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    proposal = {"title": "Accordo di prova (sonde API)", "kind": "accordo", "counterpart": "Catalogna",
                "dgs": [], "languages": ["it", "es"], "subject_areas": ["ricerca"], "director": "dirigente",
                "duration_months": 24}

    # the register and the other lists
    run.probe("offset 2^63 on /api/agreements", "GET", "/api/agreements?offset=9223372036854775808", drafter,
              field="offset")
    run.probe("offset 2^63 on /api/activities", "GET", "/api/activities?offset=9223372036854775808", drafter,
              field="offset")
    run.probe("limit 0 on /api/agreements", "GET", "/api/agreements?limit=0", drafter, field="limit")
    run.probe("dg=0 on /api/agreements", "GET", "/api/agreements?dg=0", drafter, expect=(200, 422))
    # a proposal: NUL in each string, loose types, huge values, unknown fields
    for field, value in (("title", "Ti\u0000tolo"), ("counterpart", "Cata\u0000logna"), ("director", "dir\u0000"),
                         ("dgs", ["dg-\u0000agri"]), ("languages", ["i\u0000t"]),
                         ("subject_areas", ["ric\u0000erca"]), ("authentic_languages", ["e\u0000s"])):
        named = field + (".0" if isinstance(value, list) else "")
        run.probe(f"NUL in proposal {named}", "POST", "/api/agreements", drafter, {**proposal, field: value},
                  field=named)
    run.probe('"duration_months": "12"', "POST", "/api/agreements", drafter, {**proposal, "duration_months": "12"},
              field="duration_months")
    run.probe('"binding": "yes"', "POST", "/api/agreements", drafter, {**proposal, "binding": "yes"},
              field="binding")
    run.probe('"estimated_cost": ""', "POST", "/api/agreements", drafter, {**proposal, "estimated_cost": ""},
              field="estimated_cost")
    run.probe('"estimated_cost": {}', "POST", "/api/agreements", drafter, {**proposal, "estimated_cost": {}},
              field="estimated_cost")
    run.probe("subject_areas item of 2,000,000 characters", "POST", "/api/agreements", drafter,
              {**proposal, "subject_areas": ["x" * 2_000_000]}, field="subject_areas.0")
    run.probe("20,000 languages", "POST", "/api/agreements", drafter,
              {**proposal, "languages": ["it"] * 20_000}, field="languages")
    run.probe("unknown field in a proposal", "POST", "/api/agreements", drafter, {**proposal, "bogus": 1},
              field="bogus")
    run.probe("body of 3 MB (over DATA_UPLOAD_MAX_MEMORY_SIZE)", "POST", "/api/agreements", drafter,
              raw=json.dumps({**proposal, "notes": "x" * 3_000_000}).encode(), expect=(413,))
    run.probe("body that is not JSON", "POST", "/api/agreements", drafter, raw=b"{not json", expect=(400,))

    # the accordo, driven step by step; at each step the refused variants first
    created = http(base, "POST", "/api/agreements", drafter, body=proposal)
    if created.status != 201:
        raise SystemExit(f"setup: the proposal was refused: {created.status} {created.body[:500]!r}")
    reference = created.json["reference"]
    print(f"-- driving {reference}", flush=True)
    seen = set()
    while True:
        tasks = open_tasks(run, drafter, reference)
        todo = [s for s in tasks if s not in seen and s in DATE_FIELDS]
        if not todo:
            break
        step = todo[0]
        seen.add(step)
        who, date_fields, valid = DATE_FIELDS[step]
        key, task, data = keys[who], tasks[step], valid(today.isoformat())
        path = f"/api/tasks/{task}/complete"
        run.probe(f"{step}: {{}} as data", "POST", path, key, {"step": step, "data": {}},
                  expect=(422,) if any(True for _ in data) else (200,))
        run.probe(f"{step}: unknown field in data", "POST", path, key,
                  {"step": step, "data": {**data, "bogus": 1}}, field="data.bogus")
        if "protocol" in data:
            run.probe(f'{step}: "protocol": 12345', "POST", path, key,
                      {"step": step, "data": {**data, "protocol": 12345}}, field="data.protocol")
        for field in date_fields:
            for label, value in (("number", 20261201), ("boolean", True), ("list", [today.isoformat()]),
                                 ("9999-12-31", "9999-12-31")):
                run.probe(f"{step}: {field} as {label}", "POST", path, key,
                          {"step": step, "data": {**data, field: value}}, field=f"data.{field}")
        for field in NOT_IN_FUTURE.get(step, []):
            run.probe(f"{step}: {field} tomorrow", "POST", path, key,
                      {"step": step, "data": {**data, field: tomorrow}}, field=f"data.{field}")
        run.step(key, task, step, data)
    print(f"-- {reference} went through: {', '.join(sorted(seen))}", flush=True)
    probe_health(run, base, users, admin_password)
    return run


def probe_health(run, base, users, admin_password):
    """A message the SMTP server refuses for good: `manage.py health` exits non-zero, the page answers 503."""
    from django.db import transaction

    from agreements.health import services as health
    from agreements.models import OutboxMessage
    from agreements.outbox.services import outbox_enqueue

    for name in health.HEARTBEATS:
        health.heartbeat_record(name)
    before = _health(run, base, admin_password, "before")
    with transaction.atomic():
        message = outbox_enqueue(key=f"probe-{time.time()}", to=[f"nessuno@{REFUSED_DOMAIN}"],
                                 subject="Sonda", text="Sonda di salute")
    for _ in range(120):
        state = OutboxMessage.objects.get(pk=message.pk).state
        if state == OutboxMessage.State.FAILED:
            break
        time.sleep(1)
    print(f"-- message to a refused address: {state}", flush=True)
    after = _health(run, base, admin_password, "after")
    # healthy before unless an earlier run left a failed message; after: one more failed, exit 1 and 503
    ok = after[0] == 1 and after[2] == before[2] + 1 and (after[1] == 503 or not admin_password) and (
        before[2] > 0 or (before[0], before[1]) == (0, 200 if admin_password else None))
    if not ok:
        run.bad += 1
    run.rows.append({"probe": "health with a failed e-mail (command exit, page status)", "status": after[1],
                     "json": False, "fields": f"exit {before[0]} -> {after[0]}, page {before[1]} -> {after[1]}, "
                     f"failed e-mails {before[2]} -> {after[2]}",
                     "rows_changed": 0, "problems": [] if ok else ["health did not fail loudly"], "detail": ""})


def _health(run, base, admin_password, when):
    env = {**os.environ}
    command = subprocess.run([sys.executable, str(ROOT / "manage.py"), "health", "--format", "json"],
                             capture_output=True, text=True, env=env, cwd=ROOT)
    report = json.loads(command.stdout or "{}")
    status = None
    if admin_password:
        cookies = {}
        http(base, "GET", "/accounts/login/", cookies=cookies)
        login = http(base, "POST", "/accounts/login/", cookies=cookies, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": base + "/accounts/login/"},
            raw=urllib.parse.urlencode({"username": "amministratore", "password": admin_password,
                                        "csrfmiddlewaretoken": cookies.get("csrftoken", "")}).encode())
        if login.status != 302:
            raise SystemExit(f"login as amministratore failed: {login.status}")
        status = http(base, "GET", "/promemoria/salute/", cookies=cookies).status
    print(f"-- health {when}: exit {command.returncode}, failed_emails {report.get('failed_emails')}, "
          f"ok {report.get('ok')}, page {status}", flush=True)
    return command.returncode, status, report.get("failed_emails")


def markdown(rows) -> str:
    lines = ["| probe | status | JSON | field named | rows changed |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['probe']} | {row['status']} | {'yes' if row['json'] else '-'} | "
                     f"{row['fields'] or '-'} | {row['rows_changed']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    smtp = sub.add_parser("smtp")
    smtp.add_argument("--port", type=int, default=2525)
    probe = sub.add_parser("probe")
    probe.add_argument("--url", required=True)
    probe.add_argument("--admin-password", default=os.environ.get("PROBE_ADMIN_PASSWORD"))
    probe.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.command == "smtp":
        serve_smtp(args.port)
        return 0
    run = probe_all(args.url.rstrip("/"), args.admin_password)
    if args.markdown:
        print(markdown(run.rows))
    print(f"{len(run.rows)} probes, {run.bad} with a problem", flush=True)
    return 1 if run.bad else 0


if __name__ == "__main__":
    sys.exit(main())
