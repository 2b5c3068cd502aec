"""manage.py export_transparency --semester 2022-2 --format csv|json: the six-monthly list of agreements
(D.Lgs. 33/2013 art. 23) on standard output."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.exports.tables import TRANSPARENCY_COLUMNS, records, table, transparency_queryset, write_csv

from .export_register import agreements_for


class Command(BaseCommand):
    help = gettext_lazy(
        "Stampa l'elenco semestrale degli accordi sottoscritti (D.Lgs. 33/2013 art. 23): "
        "--semester AAAA-1 (gennaio-giugno) o AAAA-2 (luglio-dicembre)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--semester", required=True, help=gettext_lazy("Semestre, es. 2022-2"))
        parser.add_argument("--format", choices=["csv", "json"], default="csv", dest="fmt")
        parser.add_argument("--user", help=gettext_lazy("Solo gli accordi che questo utente può vedere"))

    def handle(self, *args, semester, fmt, user, **options):
        try:
            agreements = transparency_queryset(agreements_for(user), semester)
        except ServiceError as error:
            raise CommandError(str(error)) from error
        if fmt == "json":
            self.stdout.write(json.dumps(records(TRANSPARENCY_COLUMNS, agreements), ensure_ascii=False, indent=2))
        else:
            headers, rows = table(TRANSPARENCY_COLUMNS, agreements, human=False)
            write_csv(self.stdout, headers, rows)
