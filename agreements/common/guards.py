"""The one role guard: services raise PermissionDeniedError (a refusal with its reason, nothing written); views
turn it into a 403 through `require_page_role`."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

from .errors import PermissionDeniedError
from .roles import Role, has_role

NO_ROLE = gettext_lazy("Non hai il ruolo necessario per questa operazione.")
ADMIN_ONLY = gettext_lazy("Pagina riservata agli amministratori.")
NO_APP_ROLE = gettext_lazy("Il tuo utente non ha un ruolo nell'applicazione.")


def acting(actor, on_behalf_of):
    """The user whose rights count: the absent principal a deputy acts for, else the actor."""
    return on_behalf_of or actor


def require_role(actor, *roles, on_behalf_of=None, message=None):
    """Refuse unless the acting user has one of `roles` (administrators always pass)."""
    if not has_role(acting(actor, on_behalf_of), *roles, Role.ADMIN):
        raise PermissionDeniedError(message or NO_ROLE)


def require_page_role(user, *roles, message=None):
    """The same rule for a page: 403 before a form is shown that the service would refuse. With no `roles`,
    any of the office's roles will do (the plan and export pages)."""
    if not has_role(user, *(roles or Role.ALL), Role.ADMIN):
        raise PermissionDenied(message or (NO_ROLE if roles else NO_APP_ROLE))
