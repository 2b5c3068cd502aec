"""manage.py health: the last successful scan, relay and timers runs; exit status 1 when one is stopped or an e-mail
could not be delivered (for a monitoring probe or cron: a stopped beat or worker, or a dead mail relay, is noticed).
A job that never ran while beat started only lately is "in attesa" (pending), not stopped."""

import json
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.health.selectors import health_report


class Command(BaseCommand):
    help = gettext_lazy(
        "Ultima esecuzione riuscita di scansione, invio posta e timer; esce con 1 se uno è fermo o se un'e-mail "
        "non è stata recapitata."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, format, **options):
        report = health_report()
        if format == "json":
            self.stdout.write(json.dumps({
                "ok": report["ok"],
                "failed_emails": report["failed_emails"],
                "jobs": [{"name": j["name"], "state": j["state"], "stale": j["stale"], "detail": j["detail"],
                          "first_run_in_minutes": j["first_run_in_minutes"],
                          "last_success_at": j["last_success_at"].isoformat() if j["last_success_at"] else None}
                         for j in report["jobs"]],
                "outbox": report["outbox"],
                "unreachable_tasks": [{"task": t.pk, "agreement": t.agreement.reference, "step": t.step,
                                       "holder": t.holder} for t in report["unreachable_tasks"]],
            }))
        else:
            for job in report["jobs"]:
                when = (timezone.localtime(job["last_success_at"]).strftime("%d/%m/%Y %H:%M:%S")
                        if job["last_success_at"] else _("mai"))
                if job["state"] == "pending":
                    state = _("in attesa: prima esecuzione tra %(n)d minuti") % {"n": job["first_run_in_minutes"]}
                else:
                    state = _("FERMO") if job["stale"] else _("ok")
                self.stdout.write(f"{job['name']:22} {when:20} {state}")
            for state, n in sorted(report["outbox"].items()):
                self.stdout.write(_("posta %(state)s: %(n)d") % {"state": state, "n": n})
            for task in report["unreachable_tasks"]:
                self.stdout.write(_("attività senza nessuno che possa svolgerla: %(ref)s «%(title)s» (%(holder)s)")
                                  % {"ref": task.agreement.reference, "title": task.title, "holder": task.holder})
        if report["unreachable_tasks"]:
            self.stderr.write(_("Ci sono attività aperte che nessuno può svolgere."))
        if not report["jobs_ok"]:
            self.stderr.write(_("Almeno un processo periodico è fermo."))
        if report["failed_emails"]:
            self.stderr.write(
                _("E-mail non recapitate: %(n)d (vedi la posta in uscita).") % {"n": report["failed_emails"]})
        if not report["ok"]:
            sys.exit(1)
