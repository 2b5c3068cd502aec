"""manage.py procedure_carry_over: move processes started under the earlier flow onto today's nodes (workflows/
carry_over.py). Idempotent; the migration workflows 0002 runs it, so `migrate` is enough."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from workflows.carry_over import processes_carry_over


class Command(BaseCommand):
    help = _("Porta le procedure avviate con il flusso precedente sui passi del flusso attuale (idempotente).")

    def handle(self, *args, **options):
        lines = processes_carry_over()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(_("Procedure aggiornate: %(n)d.") % {"n": len(lines)})
