"""Viewflow's console for the lifecycle (inbox, queue, archive, process detail, flow chart), Material frontend,
and the pages that start, renew or stop a process.

Only the Gabinetto roles see the console (AgreementFlow.has_view_permission); a DG referent works from the
dashboard and opens only their DG's consultation tasks, whose pages check visibility per agreement."""

from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from . import process_views
from .flows import AgreementFlow

site = Site(title="Intese", viewsets=[FlowAppViewset(AgreementFlow, icon="handshake")])

# Viewflow's pages that change a process or a task outside the services (no rule checked, no audit event): they
# keep their URL names (Viewflow's templates reverse them) and answer 403 to everyone. README, "Back doors closed".
SWITCHED_OFF = {"undo", "cancel", "revive", "assign", "unassign", "process_cancel", "tasks_assign",
                "tasks_unassign"}


def switched_off(request, *args, **kwargs):
    raise PermissionDenied(_("Azione disattivata: la procedura cambia solo dalle pagine delle attività e "
                             "dell'accordo, che ne registrano l'autore."))


def _close_back_doors(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _close_back_doors(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name in SWITCHED_OFF:
            pattern.callback = switched_off


urlpatterns = [path("", site.urls)]
_close_back_doors(urlpatterns)

# In the "agreements" namespace, before the record pages (accordi/nuovo/ before accordi/<reference>/).
process_urlpatterns = [
    path("accordi/nuovo/", process_views.proposal_create, name="create"),
    path("accordi/<str:reference>/rinnovo/", process_views.renewal_start, name="renewal_start"),
    path("accordi/<str:reference>/chiudi/", process_views.agreement_close, name="close"),
]
