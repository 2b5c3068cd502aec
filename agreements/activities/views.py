"""Pages of the activity register and the stakeholder registry."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements.activities import selectors, services
from agreements.activities.forms import ActivityForm, AttachmentForm, StakeholderForm
from agreements.common.access import visible_agreements
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.common.guards import require_page_role
from agreements.common.languages import country_name, is_country
from agreements.common.roles import Role, has_role, sees_everything
from agreements.models import ActivityKind, Counterpart

PAGE_SIZE = 50
KEEPERS = (Role.DRAFTER, Role.ADMIN)
KEEPERS_ONLY = _("Solo la redazione registra le attività e gli stakeholder.")


@login_required
def activity_list(request):
    require_page_role(request.user)
    qs = selectors.filter_activities(selectors.visible_activities(request.user), request.GET)
    page = Paginator(selectors.activity_rows(qs), PAGE_SIZE).get_page(request.GET.get("pagina"))
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(request, "activities/list.html", {
        "page": page, "kinds": ActivityKind.choices, "params": request.GET, "query": query.urlencode(),
        "may_edit": has_role(request.user, *KEEPERS),
    })


@login_required
def activity_detail(request, pk):
    require_page_role(request.user)
    activity = selectors.activity_for(request.user, pk)
    may_edit = has_role(request.user, *KEEPERS)
    return render(request, "activities/detail.html", {
        "activity": activity, "may_edit": may_edit, "attachments": selectors.attachments_of(activity),
        "attachment_form": AttachmentForm() if may_edit else None,
        "upload_max": settings.INTESE["UPLOAD_MAX_BYTES"],
    })


@login_required
@require_POST
def attachment_upload(request, pk):
    require_page_role(request.user, *KEEPERS, message=KEEPERS_ONLY)
    activity = selectors.activity_for(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            version = services.activity_attachment_upload(
                actor=request.user, activity=activity, doc_type=form.cleaned_data["doc_type"],
                upload=form.cleaned_data["file"])
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        except ServiceError as error:
            messages.error(request, _("File rifiutato: %(why)s") % {"why": error.message})
        else:
            messages.success(request, _("Allegato caricato: %(doc)s, versione %(n)d.")
                             % {"doc": version.get_doc_type_display(), "n": version.number})
    return redirect(reverse("activities:detail", args=[activity.pk]) + "#allegati")


@login_required
@require_GET
def attachment_download(request, pk, version):
    require_page_role(request.user)
    attachment = selectors.attachment_for(request.user, pk, version)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type=attachment.content_type)


def _form_values(form) -> dict:
    return dict(form.cleaned_data)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk=None):
    require_page_role(request.user, *KEEPERS, message=KEEPERS_ONLY)
    activity = selectors.activity_for(request.user, pk) if pk else None
    agreements = visible_agreements(request.user)
    if request.method == "POST":
        form = ActivityForm(request.POST, agreements=agreements)
        if form.is_valid():
            values = _form_values(form)
            try:
                if activity is None:
                    activity = services.activity_create(actor=request.user, **values)
                else:
                    activity = services.activity_update(actor=request.user, activity=activity, **values)
            except PermissionDeniedError as error:
                raise PermissionDenied(str(error)) from error
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Attività registrata."))
                return redirect(reverse("activities:detail", args=[activity.pk]))
        status = 400
    else:
        initial = {}
        if activity is not None:
            initial = {name: getattr(activity, name) for name in services.ACTIVITY_FIELDS}
            initial.update({name: [o.pk for o in getattr(activity, name).all()]
                            for name in services.ACTIVITY_RELATIONS})
        form = ActivityForm(initial=initial, agreements=agreements)
        status = 200
    return render(request, "activities/form.html", {"form": form, "activity": activity}, status=status)


@login_required
def stakeholder_list(request):
    require_page_role(request.user)
    return render(request, "activities/stakeholders.html", {
        "stakeholders": selectors.stakeholder_rows(request.user, request.GET),
        "may_edit": has_role(request.user, *KEEPERS),
        "form": StakeholderForm() if has_role(request.user, *KEEPERS) else None,
    })


@login_required
@require_http_methods(["POST"])
def stakeholder_create(request):
    require_page_role(request.user, *KEEPERS, message=KEEPERS_ONLY)
    form = StakeholderForm(request.POST)
    similar = []
    if form.is_valid():
        try:
            stakeholder = services.stakeholder_create(actor=request.user, **form.cleaned_data)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        except services.DuplicateStakeholderError as error:
            form.add_error("name", str(error))
            similar = error.similar
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Stakeholder «%(name)s» registrato.") % {"name": stakeholder.name})
            return redirect(reverse("activities:stakeholders"))
    return render(request, "activities/stakeholders.html", {
        "stakeholders": selectors.stakeholder_rows(request.user), "may_edit": True, "form": form,
        "similar": similar,
    }, status=400)


@login_required
def territory_index(request):
    require_page_role(request.user)
    return render(request, "activities/territory_index.html", {"countries": selectors.territory_index(request.user)})


@login_required
def territory_country(request, code):
    require_page_role(request.user)
    code = code.upper()
    if not is_country(code):
        raise Http404(_("Paese sconosciuto."))
    context = selectors.territory(request.user, country_code=code)
    context.update(title=country_name(code), country_code=code)
    return render(request, "activities/territory.html", context)


@login_required
def territory_counterpart(request, pk):
    require_page_role(request.user)
    counterpart = get_object_or_404(Counterpart, pk=pk)
    context = selectors.territory(request.user, counterpart=counterpart)
    if not context["agreements"] and not context["timeline"] and not sees_everything(request.user):
        raise Http404(_("Controparte non trovata."))  # a referent learns nothing of counterparts outside their DG
    context.update(title=counterpart.name, counterpart=counterpart)
    return render(request, "activities/territory.html", context)
