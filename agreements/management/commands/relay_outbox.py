"""manage.py relay_outbox: one relay pass by hand (what the beat task does every minute)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.health.services import heartbeat_record
from agreements.outbox.services import relay_due


class Command(BaseCommand):
    help = gettext_lazy("Invia i messaggi in coda dovuti ora (un passaggio del relay).")

    def handle(self, *args, **options):
        result = relay_due()
        heartbeat_record("relay_outbox", source="command", **result)
        self.stdout.write(
            _("Inviati: %(sent)d; da ritentare: %(retrying)d; non recapitati: %(failed)d.")
            % {"sent": result.get("sent", 0), "retrying": result.get("retrying", 0), "failed": result.get("failed", 0)}
        )
