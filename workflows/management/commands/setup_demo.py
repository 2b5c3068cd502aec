"""manage.py setup_demo: the plan, one demo user per role and the plan's agreements. Running it twice changes
nothing; passwords are printed (and kept in var/demo-users.txt) only when a user is created."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from workflows.demo import setup_demo


class Command(BaseCommand):
    help = _("Carica il piano, crea gli utenti dimostrativi e gli accordi del piano (idempotente).")

    def handle(self, *args, **options):
        result = setup_demo()
        plan = result["plan"]
        changed = sum(c["created"] + c["updated"] for c in plan.values())
        self.stdout.write(_("Piano operativo: %(n)d righe create o aggiornate.") % {"n": changed})
        if result["agreements"]:
            self.stdout.write(_("Accordi creati: %s") % ", ".join(result["agreements"]))
        else:
            self.stdout.write(_("Accordi dimostrativi già presenti: nessuna modifica."))
        register = result["register"]
        self.stdout.write(_("Registro delle attività: %(a)d attività e %(s)d stakeholder creati.")
                          % {"a": register["activities"], "s": register["stakeholders"]})
        if result["users"]:
            lines = [f"{username:16} {password:16} {role}" for username, role, password in result["users"]]
            path = settings.VAR_DIR / "demo-users.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            path.chmod(0o600)
            self.stdout.write(self.style.SUCCESS(_("Utenti dimostrativi creati (utente, password, ruolo):")))
            for line in lines:
                self.stdout.write("  " + line)
            self.stdout.write(_("Le password sono salvate anche in %s") % path)
        else:
            path = settings.VAR_DIR / "demo-users.txt"
            self.stdout.write(_("Utenti dimostrativi già presenti (password in %s).") % path)
