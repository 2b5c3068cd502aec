"""Processes and tasks in Django's admin: to read, never to change. A process or a task changes only through the
procedure's services, which check the rules and write an audit event with the acting user (README, "Back doors
closed"); Viewflow's own admin would let staff edit a task's status, owner or data with no trace."""

from django.contrib import admin
from viewflow.workflow import admin as viewflow_admin
from viewflow.workflow.models import Process, Task


class ReadOnly:
    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskInline(ReadOnly, viewflow_admin.TaskInline):
    pass


class ProcessAdmin(ReadOnly, viewflow_admin.ProcessAdmin):
    inlines = [TaskInline]


class TaskAdmin(ReadOnly, viewflow_admin.TaskAdmin):
    pass


for model, model_admin in ((Process, ProcessAdmin), (Task, TaskAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
