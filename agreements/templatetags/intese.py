"""Small template helpers for the office's pages."""

from django import template

from agreements.common import links, roles
from agreements.common.labels import choice_label
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

# {% url 'agreements:detail' a.reference %} for the rows of a list, without a reverse() per row.
register.filter("agreement_path", links.agreement_path)


@register.filter
def day(value) -> str:
    """A date as the office writes it, 27/04/2025: what |date:"d/m/Y" prints for a date, without building a date
    formatter per call (two dates a row on the register); "" for no date, so |default applies."""
    if not value:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


@register.filter
def euro(amount) -> str:
    """An amount as the office writes it: 15.000,00 €."""
    from agreements.documents.render import euro as as_euro

    return as_euro(amount)


@register.filter
def status_label(code: str) -> str:
    """A phase by its label ("Negoziazione testo"), not its code; resolved once per language, not per row."""
    from agreements.models import Status

    return choice_label(Status, code)


@register.filter
def kind_label(code: str) -> str:
    """An agreement's kind by its label, resolved once per language."""
    from agreements.models import AgreementKind

    return choice_label(AgreementKind, code)
