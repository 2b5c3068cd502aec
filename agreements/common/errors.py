"""Errors the services raise. Each carries a message in the user's language; views show it as it is."""

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
