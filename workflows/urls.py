"""Viewflow's console for the lifecycle (inbox, queue, archive, process detail, flow chart), Material frontend.

Only the Gabinetto roles see the console (AgreementFlow.has_view_permission); a DG referent works from the
dashboard and opens only their DG's consultation tasks, whose pages check visibility per agreement."""

from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from .flows import AgreementFlow

site = Site(title="Intese", viewsets=[FlowAppViewset(AgreementFlow, icon="handshake")])

urlpatterns = [path("", site.urls)]
