"""manage.py export_plan --format json|csv: the operational plan on standard output."""

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from agreements.plan.selectors import export_plan, export_plan_actions_csv


class Command(BaseCommand):
    help = _("Esporta il piano operativo: JSON (obiettivi, azioni, indicatori) o CSV delle azioni.")

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json", dest="fmt")

    def handle(self, *args, fmt, **options):
        if fmt == "csv":
            export_plan_actions_csv(self.stdout)
        else:
            self.stdout.write(json.dumps(export_plan(), ensure_ascii=False, indent=2))
