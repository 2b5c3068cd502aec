"""manage.py run_embedded: the web server, a Celery worker and Celery beat in the foreground, together, under
supervisord (agreements.management.supervise).

One Ctrl-C (or SIGTERM) stops all three; if one of them dies, supervisord restarts it (with a growing delay if it
keeps failing at start) and says so; one that cannot be kept running stops everything, so a half-running system is
never left behind."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from agreements.management.supervise import supervise


class Command(BaseCommand):
    help = _("Avvia server web, worker Celery e Celery beat in primo piano (Ctrl-C li ferma tutti).")

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port, host, **options):
        python = sys.executable
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # One process, one task at a time: SQLite and the file broker want a single writer. No gossip, mingle
            # or heartbeats: they talk through the broadcast exchange, files every process would rewrite
            # (remote control is off on the file broker, config/celery.py).
            "worker": [python, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-l", "info",
                       "-n", "embedded@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "-l", "info",
                     "-s", str(var / "celerybeat-schedule")],
        }
        # The links in e-mails and calendar feeds point at this server unless SITE_URL says otherwise.
        env = dict(os.environ, PORT=str(port))
        env.setdefault("SITE_URL", f"http://{host}:{port}")
        self.stdout.write(self.style.SUCCESS(
            _("Intese in esecuzione su http://%(host)s:%(port)s/ (worker e beat attivi). Ctrl-C per fermare.")
            % {"host": host, "port": port}
        ))
        exit_code = supervise(commands, var_dir=var, grace=15, cwd=settings.BASE_DIR, env=env,
                              log=lambda line: self.stderr.write(f"[run] {line}"),
                              on_started=self._started)
        sys.exit(exit_code)

    def _started(self, pids):
        for name, pid in pids.items():
            self.stdout.write(f"[run] {name} pid {pid}")
        self.stdout.flush()
