"""manage.py plan_report --plan CODE --year YYYY --user NAME [--format docx|pdf] --output FILE: the plan's monitoring
and evaluation report for a year, as the user sees it (the same file as the button on the monitoring page)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.plan.report import plan_report_docx, plan_report_pdf
from agreements.plan.selectors import plan_by_code


class Command(BaseCommand):
    help = gettext_lazy("Genera il rapporto di monitoraggio e valutazione del piano per un anno (.docx o PDF).")

    def add_arguments(self, parser):
        parser.add_argument("--plan", default=None, help=gettext_lazy("Codice del piano; di default il piano in corso"))
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", required=True,
                            help=gettext_lazy("Utente di cui applicare la visibilità (es. redattore)"))
        parser.add_argument("--format", choices=["docx", "pdf"], default="docx", dest="fmt")
        parser.add_argument("--output", required=True)

    def handle(self, *args, plan, year, user, fmt, output, **options):
        record = plan_by_code(plan)
        if record is None:
            raise CommandError(_("Piano operativo non trovato: %(code)s") % {"code": plan or "—"})
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(_("Utente sconosciuto: %s") % user)
        try:
            data = (plan_report_pdf if fmt == "pdf" else plan_report_docx)(user=account, plan=record, year=year)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        Path(output).write_bytes(data)
        self.stdout.write(_("Rapporto scritto in %(path)s (%(size)d byte).") % {"path": output, "size": len(data)})
