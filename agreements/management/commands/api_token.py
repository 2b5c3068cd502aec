"""manage.py api_token USERNAME [--revoke]: issue a new API key for a user (printed once) or revoke theirs."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.accounts.services import api_token_issue, api_token_revoke
from agreements.common.errors import ServiceError


class Command(BaseCommand):
    help = gettext_lazy(
        "Genera una nuova chiave API per un utente (la precedente smette di funzionare) o la revoca con --revoke."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help=gettext_lazy("Revoca la chiave senza crearne una"))

    def handle(self, *args, username, revoke, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Utente sconosciuto: %s") % username)
        try:
            if revoke:
                count = api_token_revoke(user=user, actor=None)
                self.stdout.write(_("Chiavi API revocate: %d") % count)
                return
            token = api_token_issue(user=user, actor=None)
        except ServiceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(token.key)
