"""The production-shaped run: `manage.py serve` (what `make serve` runs) starts the Procfile's gunicorn, Celery worker
and Celery beat with production settings on PostgreSQL and Redis; we log in over HTTP and shut it down."""

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from agreements.common.roles import Role
from tests.support.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BehindTLSProxy(http.cookiejar.DefaultCookiePolicy):
    """The test stands where the TLS-terminating proxy would: cookies are Secure, the last hop is plain HTTP."""

    def return_ok_secure(self, cookie, request):
        return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str, proxy_header: bool = True):
        self.base = base
        self.jar = http.cookiejar.CookieJar(policy=BehindTLSProxy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        # what the proxy tells gunicorn: the client spoke HTTPS
        self.opener.addheaders = [("X-Forwarded-Proto", "https")] if proxy_header else []

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def cookie(self, name):
        return next((c for c in self.jar if c.name == name), None)


def wait_until(predicate, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


def _answers(base):
    try:
        return Browser(base).request("/accounts/login/")[0] == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][0] != "Z"


@pytest.mark.worker
def test_serve_runs_gunicorn_worker_and_beat_and_logs_in_over_http(transactional_db, tmp_path):
    user = UserFactory(username="mario.rossi", roles=[Role.DRAFTER])
    # the test settings hash with MD5 for speed; production knows only the real hashers
    user.password = PBKDF2PasswordHasher().encode("password-123", PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])
    db = settings.DATABASES["default"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        # the pytest database this test's user was committed to
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        INTESE_VAR_DIR=str(tmp_path / "var"),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        serve = subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base) or serve.poll() is not None, "gunicorn to answer")
        assert serve.poll() is None, log_path.read_text()
        log = log_path.read_text()
        pids = {name: int(pid) for name, pid in re.findall(r"\[serve\] (\w+) pid (\d+)", log)}
        assert set(pids) == {"web", "worker", "beat"}

        # plain HTTP is redirected to HTTPS; through the proxy, HTTPS headers are set
        status, headers, _ = Browser(base, proxy_header=False).request("/accounts/login/")
        assert status == 301 and headers["Location"] == f"https://127.0.0.1:{port}/accounts/login/"

        # static files come from whitenoise, compressed by collectstatic
        status, headers, body = Browser(base).request("/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        assert headers.get("Content-Encoding") == "gzip" and body

        browser = Browser(base)
        status, headers, body = browser.request("/accounts/login/")
        assert status == 200
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert headers["X-Frame-Options"] == "DENY"
        assert browser.cookie("csrftoken").secure
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        origin = {"Origin": f"https://127.0.0.1:{port}"}

        # a wrong password: refused in Italian, counted in the database the server shares with us
        status, _, body = browser.request("/accounts/login/", {"username": "mario.rossi", "password": "sbagliata",
                                                               "csrfmiddlewaretoken": token}, origin)
        assert status == 200 and "Inserisci" in body.decode()
        assert AccessAttempt.objects.get(username="mario.rossi").failures_since_start == 1
        # no token, no login
        status, _, _ = browser.request("/accounts/login/", {"username": "mario.rossi", "password": "password-123"},
                                       origin)
        assert status == 403

        # the right password: logged in with a Secure, HttpOnly session cookie
        status, headers, _ = browser.request("/accounts/login/", {"username": "mario.rossi",
                                                                  "password": "password-123",
                                                                  "csrfmiddlewaretoken": token}, origin)
        assert status == 302, headers
        session = browser.cookie("sessionid")
        assert session.secure and session.has_nonstandard_attr("HttpOnly")
        assert browser.request("/accounts/password_change/")[0] == 200
        assert Browser(base).request("/accounts/password_change/")[0] == 302  # a stranger is sent to log in
        assert not AccessAttempt.objects.filter(username="mario.rossi").exists()

        # the Celery worker answers over Redis; beat is running
        from config.celery import app

        wait_until(lambda: bool(app.control.ping(timeout=1)), "the Celery worker to answer a ping")
        wait_until(lambda: "beat: Starting..." in log_path.read_text(), "Celery beat to start")
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=90)
    log = log_path.read_text()
    # shut down cleanly: every process gone, the port closed
    assert code == 0, log
    assert "[serve] stopped" in log
    assert not [name for name, pid in pids.items() if _alive(pid)]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
