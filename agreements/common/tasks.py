"""The procedure's open tasks, as the pages of `agreements` see them, without importing the flow layer.

`workflows` fills in the directory at start-up (workflows.apps.WorkflowsConfig.ready) with the functions that
read Viewflow's tasks; the rooms of `agreements` call them through `directory()`. The arrow stays one way:
workflows -> agreements.
"""

import datetime
from dataclasses import dataclass, field
from typing import Protocol

from . import dates


@dataclass
class OpenTask:
    """A step waiting for someone, as the pages show it."""

    task: object
    agreement: object
    step: str  # the node's name, e.g. "consult_dg"
    title: str
    holder: str
    due: datetime.date | None
    url: str | None = None  # the step's page, when the user may act on it
    dg_name: str | None = None
    fields: list[str] = field(default_factory=list)  # what the step's form takes (API)

    @property
    def pk(self):
        return self.task.pk

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < dates.today()

    @property
    def may_act(self) -> bool:
        return self.url is not None


class TaskDirectory(Protocol):
    def for_agreement(self, agreement, user, opinions=()) -> list[OpenTask]:
        """The agreement's open human tasks, oldest first; `url` set where `user` may act."""

    def for_user(self, user, agreements, limit: int) -> list[OpenTask]:
        """The open tasks `user` may act on among `agreements` (a queryset), at most `limit`."""

    def inbox(self, user, agreements, limit: int) -> list[OpenTask]:
        """The first `limit` open tasks `user` may act on among `agreements` (a queryset), by deadline: overdue
        first, then the nearest, then those without one (oldest first). Shaped for a list: `task` carries pk,
        flow_task, created, owner_id and data; `agreement` pk, reference and title; `url` is always set."""

    def idle_rows(self, *, created_from: datetime.datetime, created_before: datetime.datetime,
                  agreement_fields: list[str]) -> list[dict]:
        """Open human tasks created in the window, as rows: id, task_title, created, owner_id, owner__email,
        owner__is_active, data, and each of `agreement_fields` prefixed with "agreement__"."""

    def process_links(self, agreement) -> dict:
        """Links to the console for the agreement's latest process: {"process": url, "chart": url}."""

    def unreachable(self) -> list[OpenTask]:
        """Open human tasks that no active person (administrators aside) can act on: the holder left, the DG has no
        active referent, or nobody holds the step's role."""


_directory: TaskDirectory | None = None


def register(directory: TaskDirectory) -> None:
    global _directory
    _directory = directory


def directory() -> TaskDirectory:
    if _directory is None:
        raise RuntimeError("No task directory registered: is 'workflows' in INSTALLED_APPS?")
    return _directory
