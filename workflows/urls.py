"""Viewflow's console for the lifecycle (inbox, queue, archive, process detail, flow chart), Material frontend,
and the pages that start, renew or stop a process.

Only the Gabinetto roles see the console (AgreementFlow.has_view_permission); a DG referent works from the
dashboard and opens only their DG's consultation tasks, whose pages check visibility per agreement."""

from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from . import process_views
from .flows import AgreementFlow

site = Site(title="Intese", viewsets=[FlowAppViewset(AgreementFlow, icon="handshake")])

urlpatterns = [path("", site.urls)]

# In the "agreements" namespace, before the record pages (accordi/nuovo/ before accordi/<reference>/).
process_urlpatterns = [
    path("accordi/nuovo/", process_views.proposal_create, name="create"),
    path("accordi/<str:reference>/rinnovo/", process_views.renewal_start, name="renewal_start"),
    path("accordi/<str:reference>/chiudi/", process_views.agreement_close, name="close"),
]
