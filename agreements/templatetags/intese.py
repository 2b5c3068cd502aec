"""Small template helpers for the office's pages."""

import functools
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

from agreements.common import roles
from agreements.records.selectors import person_name

register = template.Library()


@register.filter
def sees_everything(user) -> bool:
    """True for the Gabinetto roles; a DG referent sees only their DG's work (and no Viewflow console)."""
    return roles.sees_everything(user)


@register.filter
def has_role(user, role: str) -> bool:
    return roles.has_role(user, role, roles.Role.ADMIN)


register.filter("person", person_name)

_REFERENCE_MARKER = "reference-marker-0"


@functools.lru_cache(maxsize=8)
def _agreement_path_template(script_prefix: str) -> str:
    return reverse("agreements:detail", args=[_REFERENCE_MARKER])


@register.filter
def agreement_path(reference) -> str:
    """`{% url 'agreements:detail' reference %}` for the rows of a list, without a reverse() per row: the path is
    resolved once per script prefix and the reference put in, quoted as reverse() quotes it."""
    return _agreement_path_template(get_script_prefix()).replace(
        _REFERENCE_MARKER, quote(str(reference), safe=RFC3986_SUBDELIMS + "/~:@"))


@register.filter
def euro(amount) -> str:
    """An amount as the office writes it: 15.000,00 €."""
    from agreements.documents.render import euro as as_euro

    return as_euro(amount)


@register.filter
def status_label(code: str) -> str:
    """A phase by its label ("Negoziazione testo"), not its code."""
    from agreements.models import Status

    return str(Status(code).label) if code in Status.values else code
