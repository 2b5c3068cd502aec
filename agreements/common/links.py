"""Links to an agreement's page: the path for redirects, the absolute URL (SITE_URL) for e-mails and feeds."""

from django.conf import settings
from django.urls import reverse


def agreement_path(reference: str) -> str:
    return reverse("agreements:detail", args=[reference])


def absolute_url(path: str) -> str:
    """`path` on the site as users reach it (SITE_URL, e.g. https://intese.regione.example.it)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def agreement_url(reference: str) -> str:
    return absolute_url(agreement_path(reference))
