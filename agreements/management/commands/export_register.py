"""manage.py export_register --format csv|json [--user NAME]: the register on standard output."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.access import visible_agreements
from agreements.exports.tables import REGISTER_COLUMNS, records, register_rows, table, write_csv
from agreements.models import Agreement


def agreements_for(username: str | None):
    """Every agreement, or what `username` may see in the application."""
    if not username:
        return Agreement.objects.all()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("Utente sconosciuto: %s") % username)
    return visible_agreements(user)


class Command(BaseCommand):
    help = gettext_lazy(
        "Stampa il registro degli accordi in CSV o JSON (date ISO 8601, stati e tipi come codici)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv", dest="fmt")
        parser.add_argument("--user", help=gettext_lazy("Solo gli accordi che questo utente può vedere"))

    def handle(self, *args, fmt, user, **options):
        agreements = list(register_rows(agreements_for(user).order_by("reference")))
        if fmt == "json":
            self.stdout.write(json.dumps(records(REGISTER_COLUMNS, agreements), ensure_ascii=False, indent=2))
        else:
            headers, rows = table(REGISTER_COLUMNS, agreements, human=False)
            write_csv(self.stdout, headers, rows)
