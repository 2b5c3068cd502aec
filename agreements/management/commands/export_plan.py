"""manage.py export_plan [--plan CODE] --format json|csv: an operational plan (the current one by default) on
standard output."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from agreements.plan.selectors import export_plan, export_plan_actions_csv, plan_by_code


class Command(BaseCommand):
    help = _("Esporta il piano operativo: JSON (obiettivi, azioni, indicatori) o CSV delle azioni.")

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json", dest="fmt")
        parser.add_argument("--plan", default=None,
                            help=_("Codice del piano (es. 2022-2023); di default il piano in corso"))

    def handle(self, *args, fmt, plan, **options):
        record = plan_by_code(plan)
        if record is None:
            raise CommandError(_("Piano operativo non trovato: %(code)s") % {"code": plan or "—"})
        if fmt == "csv":
            export_plan_actions_csv(self.stdout, record)
        else:
            self.stdout.write(json.dumps(export_plan(record), ensure_ascii=False, indent=2))
