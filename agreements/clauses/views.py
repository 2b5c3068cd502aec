"""The clause library's pages: the library (every office role reads it), and for administrators the edit of a
clause (a new version) and of a kind's text template. Writes go through clauses.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from agreements.common.errors import ServiceError
from agreements.common.guards import ADMIN_ONLY, require_page_role
from agreements.common.roles import Role, has_role
from agreements.models import AgreementKind

from . import library, selectors, services
from .forms import ClauseForm, KindTemplateForm


@login_required
def library_page(request):
    require_page_role(request.user)
    clauses = selectors.clauses()
    templates = selectors.kind_templates()
    return render(request, "clauses/library.html", {
        "clauses": list(clauses.values()),
        "kinds": [(kind, label, [clauses[c] for c in templates.get(kind, []) if c in clauses])
                  for kind, label in AgreementKind.choices],
        "can_edit": has_role(request.user, Role.ADMIN),
    })


@login_required
def clause_edit(request, code):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    clause = selectors.clauses().get(code)
    if clause is None and code != "nuova":
        raise Http404
    languages = list(dict.fromkeys([*library.LIBRARY_LANGUAGES, *(clause.texts if clause else {})]))
    initial = {}
    if clause is not None:
        for language, version in clause.texts.items():
            initial[f"heading_{language}"] = version.get("heading", "")
            initial[f"text_{language}"] = version.get("text", "")
    form = ClauseForm(request.POST or None, languages=languages, initial=initial)
    new_code = request.POST.get("code", "") if clause is None else code
    if request.method == "POST" and form.is_valid():
        try:
            version = services.clause_version_create(actor=request.user, code=new_code, texts=form.texts(),
                                                     note=form.cleaned_data["note"])
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Clausola «%(code)s» salvata: versione %(n)d.")
                             % {"code": version.code, "n": version.number})
            return redirect("clauses:library")
    return render(request, "clauses/clause_form.html", {
        "form": form, "clause": clause, "code": code, "versions": selectors.clause_history(code) if clause else [],
    })


@login_required
def kind_template_edit(request, kind):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    if kind not in AgreementKind.values:
        raise Http404
    current = selectors.kind_templates().get(kind, [])
    form = KindTemplateForm(request.POST or None, initial={"clauses": "\n".join(current)})
    if request.method == "POST" and form.is_valid():
        try:
            revision = services.kind_template_set(actor=request.user, kind=kind, clauses=form.codes())
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Modello di testo aggiornato alla revisione %(n)d.") % {"n": revision.revision})
            return redirect("clauses:library")
    return render(request, "clauses/kind_form.html", {
        "form": form, "kind": kind, "kind_label": AgreementKind(kind).label, "codes": list(selectors.clauses()),
    })
