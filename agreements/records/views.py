"""The office's daily pages: dashboard, register, agreement page and the forms that change an agreement.

Every view needs a login and finds the agreement through the selectors, so what a user may not see is a 404.
Views never write models: each form calls one service, and a service's refusal is shown above the form with
nothing changed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.access import agreement_for
from agreements.common.errors import ServiceError
from agreements.common.guards import require_page_role
from agreements.common.roles import Role
from agreements.records import services
from agreements.records.filters import RegisterFilter
from agreements.records.forms import (
    AgreementEditForm,
    RenewalDeclineForm,
    SignatoryFormSet,
    TacitExtensionInformForm,
    article_formset,
    article_initial,
    article_rows,
    formset_rows,
)
from agreements.records.selectors import (
    REGISTER_PAGE_SIZE,
    agreement_page,
    dashboard_data,
    register_agreements,
    register_page_rows,
)

REGISTER_COLUMNS = [
    ("reference", gettext_lazy("Codice")),
    ("title", gettext_lazy("Titolo")),
    ("kind", gettext_lazy("Tipo")),
    ("counterpart", gettext_lazy("Controparte")),
    ("country", gettext_lazy("Paese")),
    (None, gettext_lazy("DG")),
    ("status", gettext_lazy("Stato")),
    ("signed_on", gettext_lazy("Firma")),
    ("end_date", gettext_lazy("Scadenza")),
]


def _detail(agreement):
    return redirect("agreements:detail", reference=agreement.reference)


@login_required
def dashboard(request):
    return render(request, "agreements/dashboard.html", dashboard_data(request.user))


@login_required
def register(request):
    register_filter = RegisterFilter(request.GET or None, queryset=register_agreements(request.user))
    valid = register_filter.is_valid() if register_filter.is_bound else True
    rows = register_filter.qs if valid else register_filter.queryset.none()
    page = Paginator(rows, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = register_page_rows(page.object_list)
    ordering = request.GET.get("ordering", "")
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": ordering.lstrip("-") == key if key else False,
            "descending": ordering == f"-{key}",
            "next": f"-{key}" if ordering == key else key,
        }
        for key, label in REGISTER_COLUMNS
    ]
    return render(
        request,
        "agreements/register.html",
        {"filter": register_filter, "page": page, "columns": columns, "ordering": ordering,
         "filtered": bool(request.GET)},
    )


@login_required
def agreement_detail(request, reference):
    return render(request, "agreements/detail.html", agreement_page(request.user, reference))


def _show_refusal(form, error: ServiceError):
    """A service said no: its message goes above the form, role=alert, and nothing was written."""
    form.add_error(None, str(error))


@login_required
def agreement_edit(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.DRAFTER)
    initial, locked = AgreementEditForm.initial_for(agreement), services.fixed_fields(agreement)
    if request.method == "POST":
        form = AgreementEditForm(request.POST, initial=initial, locked=locked)
        if form.is_valid():
            try:
                services.agreement_update(
                    agreement=agreement, actor=request.user, expected_version=form.cleaned_data["version"],
                    **form.service_values(),
                )
            except ServiceError as error:
                _show_refusal(form, error)
            else:
                messages.success(request, _("Scheda dell'accordo aggiornata."))
                return _detail(agreement)
    else:
        form = AgreementEditForm(initial=initial, locked=locked)
    return render(request, "agreements/edit_form.html", {"form": form, "agreement": agreement})


def _rows_page(request, reference, *, formset_class, prefix, initial, save, saved, template):
    """A page editing a list of rows of the agreement (articles, signatories), saved as a whole by one service."""
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.DRAFTER)
    if request.method == "POST":
        formset = formset_class(request.POST, prefix=prefix)
        if formset.is_valid():
            try:
                save(agreement=agreement, actor=request.user, rows=formset_rows(formset))
            except ServiceError as error:
                formset.refusal = str(error)
            else:
                messages.success(request, saved)
                return _detail(agreement)
    else:
        formset = formset_class(initial=initial(agreement), prefix=prefix)
    return render(request, template, {"formset": formset, "agreement": agreement})


@login_required
def articles_edit(request, reference):
    """The articles editor: one row per article, one column per language of the text; rows are added and
    removed in place (static/js/articles_formset.js), and the whole list is saved at once."""
    agreement = agreement_for(request.user, reference=reference)
    languages = agreement.text_languages
    return _rows_page(
        request, reference, formset_class=article_formset(languages), prefix="articles",
        initial=lambda agreement: article_initial(agreement.articles.all(), languages),
        save=lambda rows, **kwargs: services.articles_replace(articles=article_rows(rows, languages), **kwargs),
        saved=_("Articoli salvati."), template="agreements/articles_form.html",
    )


@login_required
def signatories_edit(request, reference):
    return _rows_page(
        request, reference, formset_class=SignatoryFormSet, prefix="signatories",
        initial=lambda agreement: list(agreement.signatories.values(*services.SIGNATORY_FIELDS)),
        save=lambda rows, **kwargs: services.signatories_replace(signatories=rows, **kwargs),
        saved=_("Firmatari salvati."), template="agreements/signatories_form.html",
    )


@login_required
def tacit_extension_inform(request, reference):
    """The informativa to the Assembly on a tacit extension (Statuto art. 13 c. 3), offered on the page."""
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.SECRETARIAT)
    form = TacitExtensionInformForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.tacit_extension_inform(agreement=agreement, actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            _show_refusal(form, error)
        else:
            messages.success(request, _("Informativa sulla proroga registrata."))
            return _detail(agreement)
    return render(
        request, "agreements/action_form.html",
        {"form": form, "agreement": agreement, "heading": _("Informativa all'Assemblea sulla proroga tacita"),
         "submit": _("Registra l'informativa")},
    )


@login_required
def renewal_decline(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.DRAFTER, Role.DIRECTOR)
    form = RenewalDeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.renewal_decline(agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            _show_refusal(form, error)
        else:
            messages.success(request, _("Decisione di non rinnovare registrata."))
            return _detail(agreement)
    return render(
        request, "agreements/action_form.html",
        {"form": form, "agreement": agreement, "heading": _("Non rinnovare"), "submit": _("Registra la decisione")},
    )
