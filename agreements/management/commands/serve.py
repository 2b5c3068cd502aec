"""manage.py serve: the production-shaped run of the Procfile (`make serve`).

Runs the Procfile's `release` line to completion (migrate, collectstatic), then starts every other line (gunicorn,
Celery worker, Celery beat) together in the foreground under supervisord (agreements.management.supervise). One
Ctrl-C (or SIGTERM) stops them all gracefully; if one dies, supervisord restarts it and says so; one that cannot be
kept running stops everything and the command exits non-zero. The Procfile stays the single description of the
production processes, so any other Procfile runner (honcho, foreman, a PaaS) starts the same thing.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agreements.management.supervise import supervise

PROCFILE = Path(settings.BASE_DIR) / "Procfile"


def procfile_processes(path: Path = PROCFILE) -> dict[str, str]:
    """{name: shell command} from a Procfile, in file order."""
    processes = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = command.strip()
    return processes


class Command(BaseCommand):
    help = _("Avvia i processi del Procfile (gunicorn, worker e beat Celery) con le impostazioni di produzione.")

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait for a graceful stop")

    def handle(self, *args, grace, **options):
        if settings.DEBUG:
            raise CommandError("serve runs with DJANGO_SETTINGS_MODULE=config.settings.production")
        env = dict(os.environ)
        # The Procfile names `python`, `gunicorn` and `celery`: take them from this interpreter's environment.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        commands = procfile_processes()
        release = commands.pop("release", None)
        if release:
            self.stdout.write(f"[serve] release: {release}")
            if subprocess.run(["/bin/sh", "-c", release], env=env).returncode != 0:
                raise CommandError("release failed: nothing started")
        # `exec` makes the shell become the command, so supervisord's SIGTERM reaches it directly and it stops its
        # own children (gunicorn workers, the Celery pool) in order.
        programs = {name: ["/bin/sh", "-c", f"exec {command}"] for name, command in commands.items()}
        exit_code = supervise(programs, var_dir=settings.VAR_DIR, grace=grace, cwd=settings.BASE_DIR, env=env,
                              log=lambda line: self.stderr.write(f"[serve] {line}"),
                              on_started=self._started)
        self.stdout.write("[serve] stopped")
        sys.exit(exit_code)

    def _started(self, pids):
        for name, pid in pids.items():
            self.stdout.write(f"[serve] {name} pid {pid}")
        self.stdout.flush()
