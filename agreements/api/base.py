"""What every router of the JSON API shares: the Bearer key, JSON errors for every refusal, the error schemas.

config/api.py builds the NinjaAPI with `build_api()` and mounts the routers of the rooms (agreements/api/ and
workflows/api.py). Every error is JSON {"detail": "<message>"} (plus "errors" per field where the payload is at
fault, 422, or where a rule the schema cannot express names a field, 400; "incident" on a 500, the reference to
quote, also in the log)."""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from agreements.accounts.services import api_user
from agreements.common.errors import (
    InvalidDataError,
    InvalidStateError,
    PermissionDeniedError,
    ServiceError,
    StaleObjectError,
)

logger = logging.getLogger(__name__)


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        user = api_user(token)
        if user is not None:
            request.user = user  # services and selectors read the acting user from here, as on the pages
        return user


DESCRIPTION = (
    "Accordi internazionali della Regione: registro, piano operativo, avvio di proposte e completamento "
    "delle attività. Autenticazione: intestazione `Authorization: Bearer <chiave>`; la chiave si genera "
    "dalla pagina Esportazioni o con `manage.py api_token`."
)

_api: NinjaAPI | None = None
_HANDLERS = []


def _handler(exc_class):
    def register(function):
        _HANDLERS.append((exc_class, function))
        return function
    return register


def build_api() -> NinjaAPI:
    """The one NinjaAPI of the site, with the Bearer key and the JSON error handlers installed."""
    global _api
    _api = NinjaAPI(title="Intese API", version="1", description=DESCRIPTION, urls_namespace="api",
                    auth=BearerKey())
    for exc_class, function in _HANDLERS:
        _api.add_exception_handler(exc_class, function)
    return _api


def _error(request, status: int, detail: str, **extra):
    return _api.create_response(request, {"detail": str(detail), **extra}, status=status)


@_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(request, 401, _("Chiave API mancante, non valida o revocata: inviare "
                                      "l'intestazione «Authorization: Bearer <chiave>»."))
    response["WWW-Authenticate"] = "Bearer"
    return response


UNION_TAGS: set[str] = set()
"""Tags of discriminated bodies (the steps of POST /api/tasks/{id}/complete), left out of the field an error names."""


def _field_of(error) -> str:
    """The field a pydantic error is about, as the client names it: `data.date`, `offset`, `step`."""
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        return "step"
    loc = [str(part) for part in error.get("loc", ())]
    if loc[:1] in (["body"], ["query"], ["path"]):
        loc = loc[1:]
    if loc[:1] in (["payload"], ["filters"]):
        loc = loc[1:]
        if loc[:1] and loc[0] in UNION_TAGS:  # the step's tag in a task's body
            loc = loc[1:]
    return ".".join(loc)


@_handler(NinjaValidationError)
def _invalid_payload(request, exc):
    errors = [{"field": _field_of(error), "message": error.get("msg", "")} for error in exc.errors]
    fields = ", ".join(sorted({e["field"] or "?" for e in errors}))
    return _error(request, 422, _("Dati non validi: %(fields)s") % {"fields": fields}, errors=errors)


@_handler(RequestDataTooBig)
def _too_large(request, exc):
    return _error(request, 413, _("Richiesta troppo grande: il corpo supera il limite di %(size)s byte.")
                  % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})


@_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _error(request, 400, _("Il corpo della richiesta non è JSON valido."))
    return _error(request, exc.status_code, str(exc))


@_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, str(exc) or _("Risorsa non trovata."))


@_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, str(exc) or _("Non hai i permessi per questa operazione."))


@_handler(ServiceError)
def _refused(request, exc):
    if isinstance(exc, InvalidDataError):
        errors = [{"field": field, "message": " ".join(messages)} for field, messages in exc.errors.items()]
        return _error(request, 422, exc.message, errors=errors)
    if isinstance(exc, PermissionDeniedError):
        return _error(request, 403, exc.message)
    if isinstance(exc, InvalidStateError | StaleObjectError):
        return _error(request, 409, exc.message)
    if exc.field:  # a rule the schema cannot express (dates out of order) about one submitted field
        return _error(request, 400, exc.message, errors=[{"field": exc.field, "message": str(exc.message)}])
    return _error(request, 400, exc.message)


@_handler(Exception)
def _unexpected(request, exc):
    incident = uuid.uuid4().hex[:12]
    logger.exception("API error, incident %s, on %s %s", incident, request.method, request.path)
    return _error(request, 500, _("Errore interno (segnalazione %(incident)s): l'operazione non è stata eseguita. "
                                  "Riprovare più tardi.") % {"incident": incident}, incident=incident)


def api_json_errors(get_response):
    """Middleware: an error under /api/ that is not JSON yet (405 of a method the path does not take, 404 of an
    unknown path, a 400 raised before the API's handlers) becomes {"detail": ...} with the same status."""

    def middleware(request):
        response = get_response(request)
        if (request.path_info.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            detail = {404: _("Risorsa non trovata."), 405: _("Metodo non consentito per questo indirizzo.")}.get(
                response.status_code, response.reason_phrase)
            json_response = JsonResponse({"detail": str(detail)}, status=response.status_code)
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response

    return middleware


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] | None = Field(None, description="Un elemento per campo in errore (422; 400 quando una "
                                                "regola che lo schema non esprime riguarda un campo, come date "
                                                "non in ordine)")
    incident: str | None = Field(None, description="Riferimento della segnalazione (500), anche nel log")


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut,
          422: ErrorOut, 500: ErrorOut}
