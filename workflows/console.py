"""Viewflow's console (/workflow/) in the site's language.

Viewflow labels some list columns from the name of the method or property that fills them ("Process summary",
"Brief", "Active tasks"), through pretty_name and not through gettext, so no catalogue can translate them. Here
each such column gets a translatable label (the `short_description` Viewflow reads first). The other console
strings are Viewflow's msgids, translated in locale/it (the site's catalogue wins over Viewflow's), and
templates/viewflow/ adds the site's name and the way back to its pages."""

from django.utils.translation import gettext_lazy as _

COLUMN_LABELS = {
    "process_summary": _("Accordo"),
    "process_brief": _("Accordo"),
    "brief": _("Sintesi"),
    "active_tasks": _("Attività aperte"),
    "process_id": _("Procedura"),
    "task_title": _("Attività"),
    "flow_task": _("Attività"),
}


def label_console_columns() -> int:
    """Give every console list column that lacks one a translatable label; return how many were set."""
    from viewflow.workflow.flow.views import dashboard
    from viewflow.workflow.flow.views import list as lists
    from viewflow.workflow.models import Process, Task

    labelled = 0
    views = [getattr(module, name) for module in (lists, dashboard) for name in dir(module)
             if name.endswith("View") and hasattr(getattr(module, name), "columns")]
    for view in views:
        for column in getattr(view, "columns", ()) or ():
            attr = getattr(view, column, None)
            if callable(attr) and not hasattr(attr, "short_description") and column in COLUMN_LABELS:
                attr.short_description = COLUMN_LABELS[column]
                labelled += 1
    # The dashboard's task list shows the task's node through str(), which is the code name ("Needs
    # Qualification"): there, the node's title instead.
    if "flow_task" not in dashboard.DashboardTaskListView.__dict__:
        def flow_task(self, task):
            return task.flow_task.task_title or str(task.flow_task)

        flow_task.short_description = COLUMN_LABELS["flow_task"]
        dashboard.DashboardTaskListView.flow_task = flow_task
        labelled += 1
    for model in (Process, Task):
        prop = model.__dict__.get("brief") or getattr(model, "brief", None)
        if isinstance(prop, property) and not hasattr(prop.fget, "short_description"):
            prop.fget.short_description = COLUMN_LABELS["brief"]
            labelled += 1
    return labelled


# The flow chart and the process pages name every node by its task_title; Viewflow makes one from the node's code
# name ("Needs Qualification") for the nodes that are not a person's step. Their names in Italian:
NODE_TITLES = {
    "start": _("Proposta"),
    "needs_qualification": _("Tipo da qualificare?"),
    "after_qualification": _("Crea impegni?"),
    "needs_negotiation_notice": _("Accordo con uno Stato?"),
    "needs_consultation": _("DG da consultare?"),
    "consult": _("Consultazione delle DG"),
    "consultation_deadline": _("Scadenza dei pareri DG"),
    "silent_assent": _("Silenzio-assenso"),
    "consultation_join": _("Pareri raccolti"),
    "close_consultation": _("Chiusura della consultazione"),
    "after_consultation": _("Parere contrario?"),
    "after_approval": _("Esito dell'approvazione"),
    "notify": _("Notifiche"),
    "notices_join": _("Notifiche inviate"),
    "open_observations": _("Inizio dei 30 giorni"),
    "await_observations": _("Attesa delle osservazioni"),
    "observations_deadline": _("Fine dei 30 giorni"),
    "observations_silence": _("Silenzio del Governo"),
    "observations_join": _("Osservazioni concluse"),
    "needs_assembly_observations": _("Osservazioni dell'Assemblea?"),
    "close_observations": _("Chiusura dell'attesa"),
    "after_observations": _("Testo da rivedere?"),
    "needs_ratification": _("Da ratificare?"),
    "in_force": _("In vigore"),
    "in_force_when_signed": _("In vigore con la firma"),
    "rejected": _("Respinto"),
}


def title_flow_nodes(flow_class) -> int:
    """Italian titles for the flow's routing nodes (the steps have theirs from .Annotation); returns how many."""
    titled = 0
    for node in flow_class.instance.nodes():
        if node.name in NODE_TITLES:
            node.task_title = NODE_TITLES[node.name]
            titled += 1
    return titled
