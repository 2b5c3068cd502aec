"""manage.py render_document REF --template NAME --out PATH: render a template for an agreement, store nothing.

`--list` prints the template names, `--fields` the fields a template may use. Exits non-zero with one clear line
on an unknown reference, an unknown template, a missing field or an unsafe template; on error no file is written.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError
from agreements.documents import render
from agreements.documents import services as document_services
from agreements.models import Agreement


class Command(BaseCommand):
    help = gettext_lazy("Genera un documento da un modello .docx per un accordo (senza salvarlo come versione).")

    def add_arguments(self, parser):
        parser.add_argument("reference", nargs="?", help=gettext_lazy("Codice dell'accordo, es. INT-2022-003"))
        parser.add_argument("--template", help=gettext_lazy("Nome del modello (vedi --list)"))
        parser.add_argument("--out", help=gettext_lazy("File .docx da scrivere"))
        parser.add_argument("--list", dest="list_templates", action="store_true",
                            help=gettext_lazy("Elenca i modelli disponibili"))
        parser.add_argument("--fields", dest="list_fields", action="store_true",
                            help=gettext_lazy("Elenca i campi usabili nei modelli"))

    def handle(self, *args, reference=None, template=None, out=None, list_templates=False, list_fields=False,
               **options):
        if list_templates:
            for name, info in render.TEMPLATES.items():
                current = render.current_template(name)
                source = _("revisione %d") % current.revision if current else _("modello di base")
                self.stdout.write(f"{name}\t{info.label} ({source})")
            return
        if list_fields:
            for path in render.context_field_list():
                self.stdout.write(f"{path}\t{render.FIELD_LABELS.get(path, '')}")
            return
        if not reference or not template or not out:
            raise CommandError(_("Uso: render_document RIF --template NOME --out FILE (oppure --list, --fields)."))
        try:
            render.template_info(template)
            agreement = Agreement.objects.get(reference=reference)
        except Agreement.DoesNotExist:
            raise CommandError(_("Accordo non trovato: %(ref)s") % {"ref": reference}) from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        try:
            data, _revision = document_services.render_for_agreement(agreement, template)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        target = Path(out)
        # Write next to the target and rename: a failed run never leaves a half-written file.
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            raise CommandError(_("Impossibile scrivere %(path)s: %(error)s") % {"path": out, "error": exc}) from None
        self.stdout.write(self.style.SUCCESS(
            _("Scritto %(path)s (%(size)d byte) per %(ref)s con il modello %(name)s.")
            % {"path": out, "size": len(data), "ref": reference, "name": template}
        ))
