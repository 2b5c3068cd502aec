"""manage.py import_register FILE --user NAME [--dry-run]: import the office's existing register (.xlsx, .ods,
.csv; the columns of the register export) through agreements.registry_import. All or nothing: one wrong row and
nothing is written, every error listed with its row, column and reason (exit status 1)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.registry_import.services import CREATE, SKIP, UPDATE, ImportRefused, register_import


class Command(BaseCommand):
    help = gettext_lazy("Importa il registro esistente da un file .xlsx, .ods o .csv (tutto o niente).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help=gettext_lazy("l'amministratore che importa (audit)"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("controlla soltanto, non scrive"))

    def handle(self, *args, file, user, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("File non trovato: %s") % file)
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(_("Utente sconosciuto: %s") % user)
        try:
            result = register_import(actor=actor, content=path.read_bytes(), filename=path.name, dry_run=dry_run)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(refused.message) from refused
        except ServiceError as error:
            raise CommandError(error.message) from error
        counts = {"create": result.count(CREATE), "update": result.count(UPDATE), "skip": result.count(SKIP)}
        if dry_run:
            self.stdout.write(_("Prova (nulla scritto): %(create)d da creare, %(update)d da aggiornare, "
                                "%(skip)d invariati.") % counts)
        else:
            self.stdout.write(_("Importati: %(create)d creati, %(update)d aggiornati, %(skip)d invariati.") % counts)
