"""manage.py load_plan: bring the operational plan tables in line with the YAML transcription."""

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.plan.services import DEFAULT_PLAN_PATH, load_plan

KIND_LABELS = {
    "objectives": gettext_lazy("Obiettivi"),
    "sectors": gettext_lazy("Settori / DG"),
    "actions": gettext_lazy("Azioni di sistema"),
    "indicators": gettext_lazy("Indicatori"),
}


class Command(BaseCommand):
    help = gettext_lazy(
        "Carica (o aggiorna) il piano operativo dal file YAML; eseguirlo due volte non cambia nulla."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(DEFAULT_PLAN_PATH), help=gettext_lazy("File YAML del piano"))

    def handle(self, *args, path, **options):
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
