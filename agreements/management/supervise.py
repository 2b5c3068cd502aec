"""Run several processes in the foreground as one, under supervisord (the `supervisor` package); used by
run_embedded (`make run`) and serve (`make serve`).

At every start a supervisord configuration is written into VAR_DIR/supervisor/ and supervisord runs in the
foreground (nodaemon), its own log and every process's output on our standard output. While it runs,
`supervisorctl -c var/supervisor/supervisord.conf status` (or `pid worker`, `restart web`...) shows and controls
the processes.

- One Ctrl-C (SIGINT) or SIGTERM stops everything: supervisord sends SIGTERM to each process, waits `grace` seconds,
  then SIGKILLs what is left of its process group.
- A process that exits is restarted by supervisord (its log says "exited: worker (... not expected)", then
  "spawned: 'worker' with pid ..."), and we log the new pid. One that keeps dying within STARTSECS of its start is
  retried after 1, 2, 3... seconds; after STARTRETRIES such failures supervisord gives up on it (FATAL), and then
  everything is stopped and the exit code is 1, so a half-running system is never left behind.
"""

import ctypes
import fcntl
import http.client
import os
import secrets
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport

STARTSECS = 2  # a process that exits sooner did not start: supervisord retries it with a growing delay
STARTRETRIES = 5  # quick failures in a row before supervisord gives up on a process (FATAL)


def _socket_path(folder: Path) -> Path:
    path = folder / "supervisord.sock"
    if len(str(path)) < 100:  # a Unix socket's path has a length limit (108 bytes on Linux)
        return path
    return Path(tempfile.mkdtemp(prefix="intese-supervisor-")) / "supervisord.sock"


def _ini(value) -> str:
    """A value for supervisord's configuration, which expands %(name)s: a literal % is written %%."""
    return str(value).replace("%", "%%")


class Control:
    """supervisord's control socket: where it is and the credentials of this run (also in the configuration, which
    only its owner may read, so `supervisorctl -c` finds them)."""

    def __init__(self, sock: Path):
        self.sock = sock
        self.username = "intese"
        self.password = secrets.token_urlsafe(16)

    def proxy(self):
        """A new connection (one that failed once cannot be used again)."""
        transport = SupervisorTransport(self.username, self.password, f"unix://{self.sock}")
        return xmlrpc.client.ServerProxy("http://localhost", transport=transport)


def write_config(programs: dict[str, list[str]], *, folder: Path, grace: float, cwd: Path) -> tuple[Path, Control]:
    """supervisord.conf for `programs` ({name: argv}, started in this order, stopped in reverse) into `folder`;
    returns the configuration's path and how to reach its control socket."""
    folder.mkdir(parents=True, exist_ok=True)
    control = Control(_socket_path(folder))
    sock = control.sock
    lines = [
        "; Written by agreements/management/supervise.py at every start: edits are lost.",
        "[supervisord]",
        "nodaemon=true",
        # as whoever runs us; said explicitly for root, or supervisord complains that it did not drop privileges
        *(["user=root"] if os.geteuid() == 0 else []),
        f"logfile={_ini(folder / 'supervisord.log')}",
        "logfile_maxbytes=1MB",
        "logfile_backups=2",
        f"pidfile={_ini(folder / 'supervisord.pid')}",
        f"childlogdir={_ini(folder)}",
        "",
        "[unix_http_server]",
        f"file={_ini(sock)}",
        "chmod=0700",
        f"username={control.username}",
        f"password={_ini(control.password)}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_ini(sock)}",
        f"username={control.username}",
        f"password={_ini(control.password)}",
    ]
    for priority, (name, argv) in enumerate(programs.items(), start=1):
        lines += [
            "",
            f"[program:{name}]",
            f"command={_ini(shlex.join(argv))}",
            f"directory={_ini(cwd)}",
            f"priority={priority}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={STARTSECS}",
            f"startretries={STARTRETRIES}",
            "stopsignal=TERM",
            f"stopwaitsecs={max(1, round(grace))}",
            # SIGTERM to the process alone (gunicorn and Celery stop their own children in order); the SIGKILL
            # after `grace` goes to its whole process group.
            "stopasgroup=false",
            "killasgroup=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "redirect_stderr=true",
        ]
    config = folder / "supervisord.conf"
    config.unlink(missing_ok=True)
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    return config, control


def _append_only(fd: int) -> None:
    """supervisord reopens /dev/stdout for the processes' output: when our output is a regular file, make every
    writer append, so none overwrites the others' lines."""
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    except OSError:
        pass


def _die_with_parent() -> None:
    """In supervisord before it starts (Linux): SIGTERM when we die, however we die, so it stops what it runs."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def supervise(programs: dict[str, list[str]], *, var_dir: Path, grace: float, log, cwd: Path, env=None,
              on_started=None) -> int:
    """Run `programs` under supervisord until SIGINT or SIGTERM (exit code 0), or until one of them cannot be kept
    running (exit code 1). `on_started({name: pid})` is called once every process has been spawned; `log(line)`
    reports what happens to them."""
    config, control = write_config(programs, folder=Path(var_dir) / "supervisor", grace=grace, cwd=Path(cwd))
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONUNBUFFERED", "1")  # the processes write to a pipe: no output held back in a buffer
    sys.stdout.flush()
    sys.stderr.flush()
    _append_only(1)
    _append_only(2)
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    supervisord = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c", str(config)],
                                   env=env, cwd=cwd, start_new_session=True, preexec_fn=_die_with_parent)

    pids: dict[str, int] = {}
    seen: set[int] = set()
    exit_code = 0
    try:
        exit_code = _watch(supervisord, control, programs, pids, seen, log, on_started, lambda: stopping)
    finally:
        exit_code = max(exit_code, _shut_down(supervisord, seen, grace * len(programs) + 15, log))
        if control.sock.parent.name.startswith("intese-supervisor-"):
            control.sock.unlink(missing_ok=True)
            control.sock.parent.rmdir()
    return exit_code


def _watch(supervisord, control, programs, pids, seen, log, on_started, stopping) -> int:
    """Follow the processes through supervisord's control socket until we are asked to stop (0) or one of them
    cannot be kept running (1)."""
    rpc = control.proxy()
    started = False
    while supervisord.poll() is None and not stopping():
        try:
            infos = rpc.supervisor.getAllProcessInfo()
        except (OSError, http.client.HTTPException, xmlrpc.client.Error):
            rpc = control.proxy()  # supervisord is still starting, or going away
            time.sleep(0.2)
            continue
        for info in infos:
            name, pid = info["name"], info["pid"]
            if pid and pid != pids.get(name):
                if name in pids:
                    log(f"{name} (pid {pids[name]}) exited unexpectedly: restarted by supervisord as pid {pid}")
                pids[name] = pid
                seen.add(pid)
            if info["statename"] == "FATAL":
                log(f"{name} could not be kept running ({info['spawnerr'] or info['description']}): "
                    "stopping everything")
                return 1
        if not started and len(pids) == len(programs):
            started = True
            if on_started:
                on_started({name: pids[name] for name in programs})
        time.sleep(0.5 if started else 0.1)
    if supervisord.poll() is not None and not stopping():
        log(f"supervisord exited with code {supervisord.returncode}")
        return 1
    return 0


def _shut_down(supervisord, seen, timeout, log) -> int:
    """Stop supervisord (it stops every process, in reverse order), then anything it left behind."""
    exit_code = 0
    if supervisord.poll() is None:
        supervisord.send_signal(signal.SIGTERM)
    try:
        supervisord.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"supervisord did not stop within {timeout:g}s: killed")
        supervisord.kill()
        supervisord.wait()
        exit_code = 1
    # Whatever supervisord could not stop (it was killed, or crashed) goes now, with its process group.
    for pid in seen:
        if _alive(pid):
            log(f"process {pid} still running after supervisord: killed")
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            exit_code = 1
    return exit_code
