"""The embedded stack holds under load: `manage.py run_embedded` (web, Celery worker and beat under supervisord, on
SQLite and the file broker, as `make run` starts them) takes concurrent proposals through the site for a bounded
time while the worker relays their e-mails and beat runs its jobs. Zero errors, no process restarted, every
proposal kept, the worker's and beat's jobs written alongside."""

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.platform.test_serve import Browser, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "90"))
WRITERS = 4
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def embedded_env(var: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST_")) and k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", INTESE_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    return env


def login(base: str, username: str, password: str) -> Browser:
    browser = Browser(base, proxy_header=False)
    status, _, body = browser.request("/accounts/login/")
    token = CSRF.search(body).group(1).decode()
    status, headers, body = browser.request(
        "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password})
    assert status == 302, body[:500]
    return browser


def propose(browser: Browser, title: str) -> tuple[int, bytes]:
    status, _, body = browser.request("/accordi/nuovo/")
    if status != 200:
        return status, body
    token = CSRF.search(body).group(1).decode()
    counterpart = re.search(rb'<option value="(\d+)"', body).group(1).decode()
    status, _, body = browser.request("/accordi/nuovo/", {
        "csrfmiddlewaretoken": token, "kind": "intesa", "title": title, "counterpart": counterpart,
        "languages": "it, fr", "renewal_clause": "express", "consultation_days": "15", "binding": "on",
    })
    return status, body


@pytest.mark.worker
def test_embedded_stack_keeps_every_concurrent_write_without_an_error(tmp_path):
    var = tmp_path / "var"
    env = embedded_env(var)
    for command in (["migrate", "--noinput", "-v", "0"], ["setup_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    users = {line.split()[0]: line.split()[1] for line in (var / "demo-users.txt").read_text().splitlines()}
    port = free_port()
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        run = subprocess.Popen([sys.executable, "manage.py", "run_embedded", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    results: list[tuple[str, int]] = []
    try:
        wait_until(lambda: _answers(base) or run.poll() is not None, "the web server to answer")
        wait_until(lambda: " ready." in log_path.read_text(), "the worker to be ready")
        browsers = [login(base, "redattore", users["redattore"]) for _ in range(WRITERS)]
        admin = login(base, "amministratore", users["amministratore"])
        deadline = time.monotonic() + SOAK_SECONDS
        lock = threading.Lock()

        def writer(n: int, browser: Browser):
            i = 0
            while time.monotonic() < deadline:
                title = f"Soak {n}-{i}"
                status, body = propose(browser, title)
                with lock:
                    results.append((title, status))
                # and a read between writes, as a user would (the register lists what was written)
                browser.request("/accordi/")
                i += 1

        threads = [threading.Thread(target=writer, args=(n, b)) for n, b in enumerate(browsers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        db = sqlite3.connect(var / "intese.sqlite3", timeout=30)
        # the worker wrote alongside: the scan beat sent at its start, and the relay (every minute)
        wait_until(lambda: {"beat_started", "scan_reminders", "relay_outbox"} <= {
            name for (name,) in db.execute("select name from agreements_heartbeat")}, "the worker's jobs", seconds=90)
        # the health page is green: every job ran, or is due shortly after beat's start (never "stopped")
        status, _, body = admin.request("/promemoria/salute/")
        assert status == 200, body.decode()[:2000]
    finally:
        if run.poll() is None:
            run.send_signal(2)
        code = run.wait(timeout=90)
    log = log_path.read_text()
    statuses = [status for _, status in results]
    assert len(results) >= 40, (len(results), log[-3000:])
    assert set(statuses) == {302}, ([r for r in results if r[1] != 302][:5], log[-5000:])
    titles = {row[0] for row in db.execute("select title from agreements_agreement where title like 'Soak %'")}
    assert titles == {title for title, _ in results}
    for bad in ("Traceback", "database is locked", "JSONDecodeError", "Unrecoverable error", "not expected",
                "exited unexpectedly", "SecurityWarning", "No hostname was supplied"):
        assert bad not in log, (bad, log[-5000:])
    assert code == 0, log[-3000:]


def _answers(base) -> bool:
    try:
        return Browser(base, proxy_header=False).request("/accounts/login/")[0] == 200
    except OSError:
        return False
