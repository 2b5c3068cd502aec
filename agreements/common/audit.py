"""Writing the audit trail. Called by every service, inside its transaction."""

import datetime
import decimal

from django.db import models

from agreements.models import AuditEvent


def _plain(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields) -> dict:
    """The values of `fields` (concrete field names) as JSON-friendly data."""
    return {name: _plain(getattr(instance, instance._meta.get_field(name).attname)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_record(*, actor, action: str, agreement=None, on_behalf_of=None, changes=None, detail=None) -> AuditEvent:
    return AuditEvent.objects.create(
        agreement=agreement,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None and actor.pk else "sistema",
        on_behalf_of=on_behalf_of,
        action=action,
        changes=changes or {},
        detail={k: _plain(v) for k, v in (detail or {}).items()},
    )
