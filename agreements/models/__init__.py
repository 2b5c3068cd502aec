from .activities import Activity, ActivityKind, Stakeholder, StakeholderType
from .agreement import (
    Agreement,
    AgreementKind,
    Article,
    Counterpart,
    CounterpartType,
    Opinion,
    OpinionKind,
    ReferenceCounter,
    RenewalClause,
    Signatory,
    Status,
)
from .audit import AuditEvent
from .documents import DocumentTemplate, DocumentVersion
from .notifications import ALWAYS_IMMEDIATE, Notification, NotificationKind
from .people import Delegation, Profile, UserToken
from .plan import Action, Indicator, IndicatorActual, IndicatorMeasure, IndicatorTarget, Objective, Plan, Sector
from .reminders import Heartbeat, OutboxMessage, Reminder, ReminderKind, ReminderPolicy

__all__ = [
    "ALWAYS_IMMEDIATE",
    "Action",
    "Activity",
    "ActivityKind",
    "Agreement",
    "AgreementKind",
    "Article",
    "AuditEvent",
    "Counterpart",
    "CounterpartType",
    "Delegation",
    "DocumentTemplate",
    "DocumentVersion",
    "Heartbeat",
    "Indicator",
    "IndicatorActual",
    "IndicatorMeasure",
    "IndicatorTarget",
    "Notification",
    "NotificationKind",
    "Objective",
    "Opinion",
    "OpinionKind",
    "OutboxMessage",
    "Plan",
    "Profile",
    "ReferenceCounter",
    "Reminder",
    "ReminderKind",
    "ReminderPolicy",
    "RenewalClause",
    "Sector",
    "Signatory",
    "Stakeholder",
    "StakeholderType",
    "Status",
    "UserToken",
]
