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
from .clauses import ClauseVersion, KindTemplate
from .documents import DocumentTemplate, DocumentVersion
from .notifications import ALWAYS_IMMEDIATE, Notification, NotificationKind
from .people import Delegation, Profile, UserToken
from .plan import Action, Indicator, IndicatorActual, IndicatorMeasure, IndicatorTarget, Objective, Plan, Sector
from .reminders import Heartbeat, OutboxMessage, Reminder, ReminderKind, ReminderPolicy
from .search import SearchEntry, SearchWatermark

__all__ = [
    "ALWAYS_IMMEDIATE",
    "Action",
    "Activity",
    "ActivityKind",
    "Agreement",
    "AgreementKind",
    "Article",
    "AuditEvent",
    "ClauseVersion",
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
    "KindTemplate",
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
    "SearchEntry",
    "SearchWatermark",
    "Sector",
    "Signatory",
    "Stakeholder",
    "StakeholderType",
    "Status",
    "UserToken",
]
