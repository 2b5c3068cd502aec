"""manage.py reminders_due --on YYYY-MM-DD: the reminders a scan on that date would create (reference,
counterpart, kind, threshold in days, due date, recipients). Reads only: nothing is written or sent."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common import dates
from agreements.reminders.services import due_reminders


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("Data non valida: %(v)s (formato AAAA-MM-GG).") % {"v": value}) from None


class Command(BaseCommand):
    help = gettext_lazy("Elenca i promemoria che una scansione in quella data creerebbe, senza scrivere né inviare.")

    def add_arguments(self, parser):
        parser.add_argument("--on", dest="on", help=gettext_lazy("Data della scansione (AAAA-MM-GG); oggi se omessa"))
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, on=None, format="text", **options):
        day = _date(on) if on else dates.today()
        due = [d.as_json() for d in due_reminders(today=day)]
        if format == "json":
            self.stdout.write(json.dumps(due, ensure_ascii=False, indent=2))
            return
        for d in due:
            self.stdout.write(
                f"{d['due_date']}  {d['reference']:14} {d['kind']:22} {d['threshold']:>4}  {d['counterpart']}  "
                f"-> {', '.join(d['recipients']) or '-'}"
            )
        self.stdout.write(_("%(n)d promemoria.") % {"n": len(due)})
