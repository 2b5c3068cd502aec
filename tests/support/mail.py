"""Real parts for the reminder, outbox and calendar tests: an SMTP server (aiosmtpd) on localhost, a Celery
worker process on Redis pointed at the test database, and a private redis-server for outage tests.

Nothing here is a mock: the SMTP server speaks SMTP over TCP, the worker is `celery worker` in its own process
group (so a test can SIGKILL it), and the outage tests stop only the redis-server they started themselves.
"""

import asyncio
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- SMTP ------------------------------------------------------------------------------------------------------

class RecordingHandler:
    """Accepts messages and keeps them. `replies` is a list of SMTP replies used one per DATA command (then
    "250"); `rcpt_delay` slows each RCPT so a test can catch the relay mid-run. `peers` holds the client's
    address of every DATA command, so a test can count the SMTP sessions messages came over."""

    def __init__(self):
        self.messages = []
        self.data_commands = 0
        self.replies = []
        self.rcpt_delay = 0.0
        self.peers = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            self.peers.append(session.peer)
            reply = self.replies.pop(0) if self.replies else "250 Message accepted for delivery"
            if reply.startswith("250"):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                self.messages.append(message)
        return reply

    # What a test asks
    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def sessions(self) -> int:
        """How many SMTP sessions (client connections) carried a DATA command."""
        with self.lock:
            return len(set(self.peers))

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]


class SMTPServer:
    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's real SMTP backend, talking to the test's SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    return settings


# --- Redis -----------------------------------------------------------------------------------------------------

class RedisServer:
    """A private redis-server on a spare port, in memory only. Stopping it is an outage only for its users."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        def up():
            try:
                return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
            except redis.exceptions.ConnectionError:
                return False

        wait_for(up, 10, what=f"redis-server on {self.port}")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class HalfOpenBroker:
    """Accepts TCP connections and never answers: a broker that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self):
        while not self._stop:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self._stop = True
        for conn in self.conns:
            conn.close()
        self.sock.close()


# --- Celery worker ---------------------------------------------------------------------------------------------

def database_url_of_tests() -> str:
    """The URL of the database the tests run on (pytest-django's test_<name>), for processes we start."""
    from django.db import connection

    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class CeleryWorker:
    """`celery -A config worker` in its own process group, on `broker_url`, against the test database and the
    test's SMTP server. `kill()` is SIGKILL to the whole group (the main process and its pool children)."""

    def __init__(self, *, broker_url: str, smtp_port: int | None, concurrency: int = 1, name: str = "w"):
        self.broker_url = broker_url
        self.smtp_port = smtp_port
        self.concurrency = concurrency
        self.name = name
        self.process = None
        self.log = Path(tempfile.mkstemp(prefix=f"celery-{name}-", suffix=".log")[1])

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            # base settings: EMAIL_URL picks the real SMTP backend (the test settings force locmem).
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url_of_tests(),
            "CELERY_BROKER_URL": self.broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}" if self.smtp_port else "consolemail://",
            "EMAIL_TIMEOUT": "2",
            "SECRET_KEY": "test-worker-only",
            "INTESE_VAR_DIR": tempfile.mkdtemp(prefix="intese-worker-"),
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("CELERY_BROKER_WRITE_URL", None)
        return env

    def start(self, timeout: float = 60):
        self.log.write_text("")
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-P", "prefork",
             "-c", str(self.concurrency), "-n", f"{self.name}-{os.getpid()}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env(), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        handle.close()
        wait_for(lambda: "ready." in self.log.read_text(errors="replace") or self.process.poll() is not None,
                 timeout, what="celery worker ready")
        assert self.process.poll() is None, f"celery worker exited:\n{self.log.read_text()[-4000:]}"
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self):
        """SIGKILL the worker and its pool children at once (a crash, not a shutdown)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_broker(url: str):
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()


def send_task(name: str, broker_url: str):
    """Publish a task by name the way the beat does, on `broker_url`."""
    from config.celery import app

    with app.connection_for_write(url=broker_url) as connection:
        app.send_task(name, connection=connection)
