"""The site's error pages (config/urls.py handler400/403/404/500): Italian pages in the site's layout, never a
traceback. A 500 or a 400 gets a short incident reference, shown to the user and logged with the traceback, so the
administrator finds the one in the log the user quotes; an expected 403 or 404 is one line in the log."""

import logging
import secrets
import sys

from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger("intese.errors")


def incident_reference() -> str:
    return secrets.token_hex(4).upper()


def _page(request, template: str, status: int, context: dict) -> HttpResponse:
    try:
        body = loader.render_to_string(template, context, request=request)
    except Exception:  # the page's own layout failed (e.g. the database is gone): a bare page, still in Italian
        logger.exception("Error page %s could not be rendered", template)
        title, incident = _("Errore del server"), _("Codice dell'incidente: %s") % context.get("incident", "-")
        body = f"<!doctype html><title>Intese</title><h1>{title}</h1><p>{incident}</p>"
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response._has_been_logged = True  # logged here, once: Django's request logger would add a traceback
    return response


def _line(request) -> str:
    user = getattr(request, "user", None)
    who = user.get_username() if user is not None and user.is_authenticated else "-"
    return f"{request.method} {request.path} user={who}"


def server_error(request):
    incident = incident_reference()
    logger.error("Incident %s: 500 on %s", incident, _line(request), exc_info=sys.exc_info())
    return _page(request, "500.html", 500, {"incident": incident})


def bad_request(request, exception):
    incident = incident_reference()
    logger.warning("Incident %s: 400 on %s: %s", incident, _line(request), exception, exc_info=exception)
    return _page(request, "400.html", 400, {"incident": incident})


def permission_denied(request, exception):
    logger.warning("403 on %s: %s", _line(request), exception or "-")
    return _page(request, "403.html", 403, {"exception": str(exception) if exception else ""})


def page_not_found(request, exception):
    logger.info("404 on %s", _line(request))
    return _page(request, "404.html", 404, {})
