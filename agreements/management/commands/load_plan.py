"""manage.py load_plan [FILE]: bring one operational plan in line with its YAML transcription (any plan, any
period, in the format of agreements/plan/data/plan_2022_2023.yaml; that file by default)."""

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.plan.services import DEFAULT_PLAN_PATH, load_plan

KIND_LABELS = {
    "plan": gettext_lazy("Piano"),
    "objectives": gettext_lazy("Obiettivi"),
    "sectors": gettext_lazy("Settori / DG"),
    "actions": gettext_lazy("Azioni di sistema"),
    "indicators": gettext_lazy("Indicatori"),
    "targets": gettext_lazy("Target annuali"),
}


class Command(BaseCommand):
    help = gettext_lazy(
        "Carica (o aggiorna) un piano operativo dal suo file YAML; eseguirlo due volte non cambia nulla."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=gettext_lazy("File YAML del piano"))
        parser.add_argument("--path", default=None, help=gettext_lazy("File YAML del piano (come FILE)"))

    def handle(self, *args, file, path, **options):
        path = file or path or str(DEFAULT_PLAN_PATH)
        try:
            counts = load_plan(path=path)
        except (OSError, yaml.YAMLError, ServiceError) as exc:
            raise CommandError(str(exc)) from exc
        for kind, label in KIND_LABELS.items():
            c = counts[kind]
            self.stdout.write(
                _("%(label)s: %(created)d creati, %(updated)d aggiornati, %(unchanged)d invariati")
                % {"label": label, **c}
            )
        if any(c["created"] or c["updated"] for c in counts.values()):
            self.stdout.write(self.style.SUCCESS(_("Piano caricato.")))
        else:
            self.stdout.write(_("Nessuna modifica: il piano nel database corrisponde già al file."))
