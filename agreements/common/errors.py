"""Errors the services raise. Each carries a message in the user's language; views show it as it is."""

from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A request the rules refuse. Nothing was written. `field`, when given, is the submitted field the refusal is
    about (as the step's form and the API data name it: "dgr_date", "date"...), for a rule the schema cannot express
    (dates out of order): the API names it in `errors`, the page shows the message next to it."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class PermissionDeniedError(ServiceError):
    pass


class StaleObjectError(ServiceError):
    """Someone else changed the record since the user loaded it."""


class InvalidStateError(ServiceError):
    pass


class InvalidDataError(ServiceError):
    """Submitted data failed validation; `errors` maps each field to its messages."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.errors = errors or {}

    @classmethod
    def for_field(cls, field: str, message) -> "InvalidDataError":
        """One field at fault: "Dati non validi: <field>", with the reason under the field."""
        return cls(_("Dati non validi: %(fields)s") % {"fields": field}, {field: [message]})
