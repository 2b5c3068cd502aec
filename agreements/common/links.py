"""Links to an agreement's page: the path for redirects, the absolute URL (SITE_URL) for e-mails and feeds."""

import functools
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

_REFERENCE_MARKER = "reference-marker-0"


@functools.lru_cache(maxsize=16)
def _agreement_path_template(script_prefix: str, urlconf: str) -> str:
    return reverse("agreements:detail", args=[_REFERENCE_MARKER], urlconf=urlconf)


def agreement_path(reference: str) -> str:
    """reverse("agreements:detail", args=[reference]) at the cost of a string replace: lists call it per row (the
    template filter `agreement_path`). The path is resolved once per script prefix and URLconf, and the reference
    put in quoted as reverse() quotes it; what the URL's converter refuses goes through reverse() and fails there."""
    reference = str(reference)
    if not reference or "/" in reference:
        return reverse("agreements:detail", args=[reference])
    template = _agreement_path_template(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return template.replace(_REFERENCE_MARKER, quote(reference, safe=RFC3986_SUBDELIMS + "/~:@"))


def absolute_url(path: str) -> str:
    """`path` on the site as users reach it (SITE_URL, e.g. https://intese.regione.example.it)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def agreement_url(reference: str) -> str:
    return absolute_url(agreement_path(reference))
