"""`make run`'s processes: `manage.py run_embedded` runs the web server, a Celery worker and beat under supervisord
in the embedded mode (SQLite, file broker, all under a throwaway var/). A killed worker is restarted while the web
keeps answering, and one Ctrl-C stops everything."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.platform.test_serve import _alive, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _answers(base) -> bool:
    try:
        with urllib.request.urlopen(base + "/accounts/login/", timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.worker
def test_killed_worker_is_restarted_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    # the embedded defaults: no PostgreSQL, no Redis, everything under this test's var/
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST_")) and k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", INTESE_VAR_DIR=str(tmp_path / "var"),
               PYTHONUNBUFFERED="1")
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        run = subprocess.Popen([sys.executable, "manage.py", "run_embedded", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    ctl = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(tmp_path / "var/supervisor/supervisord.conf")]

    def supervisorctl(*args) -> str:
        return subprocess.run([*ctl, *args], capture_output=True, text=True, timeout=30).stdout.strip()

    def running(name) -> bool:
        return "RUNNING" in supervisorctl("status", name)

    pids = {}
    try:
        wait_until(lambda: _answers(base) or run.poll() is not None, "the web server to answer")
        assert run.poll() is None, log_path.read_text()
        wait_until(lambda: all(running(name) for name in ("web", "worker", "beat")), "supervisord's processes")
        pids = {name: int(supervisorctl("pid", name)) for name in ("web", "worker", "beat")}
        pids["supervisord"] = int(supervisorctl("pid"))
        assert "celery" in Path(f"/proc/{pids['worker']}/cmdline").read_text()
        wait_until(lambda: log_path.read_text().count(" ready.") == 1, "the worker to be ready")

        # the worker dies without a chance to clean up
        os.kill(pids["worker"], signal.SIGKILL)
        wait_until(lambda: supervisorctl("pid", "worker") not in ("", "0", str(pids["worker"])) and running("worker"),
                   "supervisord to restart the worker")
        pids["worker (restarted)"] = int(supervisorctl("pid", "worker"))
        wait_until(lambda: log_path.read_text().count(" ready.") == 2, "the new worker to be ready")
        log = log_path.read_text()
        assert "exited: worker (terminated by SIGKILL; not expected)" in log
        assert (f"[run] worker (pid {pids['worker']}) exited unexpectedly: restarted by supervisord as pid "
                f"{pids['worker (restarted)']}") in log
        # nothing else was touched: the same web server still answers, beat still runs
        assert _answers(base)
        assert int(supervisorctl("pid", "web")) == pids["web"] and int(supervisorctl("pid", "beat")) == pids["beat"]
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = run.wait(timeout=90)
    log = log_path.read_text()
    assert code == 0, log
    assert re.search(r"\[run\] web pid \d+", log)
    assert not [name for name, pid in pids.items() if _alive(pid)], log
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
