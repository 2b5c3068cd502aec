from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Procedure")

    def ready(self):
        # Here, not at the top: the selectors import the flow, whose models need the app registry ready.
        from agreements.common import tasks

        from .console import label_console_columns, title_flow_nodes
        from .flows import AgreementFlow
        from .selectors import TASKS

        tasks.register(TASKS)
        label_console_columns()
        title_flow_nodes(AgreementFlow)
