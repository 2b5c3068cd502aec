"""Errors the services raise. Each carries a message in the user's language; views show it as it is."""

from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A request the rules refuse. Nothing was written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


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
