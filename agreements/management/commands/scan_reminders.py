"""manage.py scan_reminders: one scan by hand (what the hourly beat task does)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common import dates
from agreements.health.services import heartbeat_record
from agreements.reminders.services import scan_due


class Command(BaseCommand):
    help = gettext_lazy("Esegue una scansione dei promemoria dovuti oggi (crea ciascuno una sola volta).")

    def handle(self, *args, **options):
        result = scan_due(today=dates.today())
        heartbeat_record("scan_reminders", source="command", **result)
        self.stdout.write(_("Promemoria creati: %(reminders)d; messaggi in coda: %(messages)d.") % result)
