"""Pages for an agreement's documents: versions, download, generate, upload, PDF; template revisions (admin).

Every view finds the agreement through common.access.agreement_for (404 when the user may not see it) and writes only
through the documents services; a refusal comes back as a message on the page, and nothing is stored."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agreements.common.access import agreement_for
from agreements.common.errors import ServiceError
from agreements.common.guards import ADMIN_ONLY, require_page_role
from agreements.common.roles import Role, has_role
from agreements.documents import compare
from agreements.documents import selectors as document_selectors
from agreements.documents import services as document_services
from agreements.documents.render import DOCX_TYPE, FIELD_LABELS, TEMPLATES, context_field_list, current_template
from agreements.models import DocumentVersion
from agreements.models.documents import AGREEMENT_DOCUMENT_TYPES, DocumentType


class GenerateForm(forms.Form):
    template = forms.ChoiceField(label=gettext_lazy("Modello"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t.name, t.label) for t in TEMPLATES.values()]


class UploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=gettext_lazy("Tipo di documento"),
                                 choices=[(t.value, t.label) for t in AGREEMENT_DOCUMENT_TYPES],
                                 initial=DocumentType.DRAFT_UPLOAD)
    file = forms.FileField(
        label=gettext_lazy("File Word (.docx)"),
        help_text=gettext_lazy("Per la copia firmata anche l'originale firmato: PDF (PAdES) o busta .p7m (CAdES)."),
    )


class TemplateUploadForm(forms.Form):
    name = forms.ChoiceField(label=gettext_lazy("Modello"), choices=())
    file = forms.FileField(label=gettext_lazy("Nuova revisione (.docx)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].choices = [(t.name, t.label) for t in TEMPLATES.values()]


def _back(request, agreement):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("documents:versions", reference=agreement.reference)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@login_required
@require_GET
def versions(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    return render(request, "documents/versions.html", {
        "agreement": agreement,
        "versions": document_selectors.versions_for(agreement),
        "can_write": has_role(request.user, *document_selectors.WRITER_ROLES),
        "generate_form": GenerateForm(),
        "upload_form": UploadForm(),
        "upload_max": settings.INTESE["UPLOAD_MAX_BYTES"],
    })


@login_required
@require_GET
def download(request, reference, pk):
    agreement = agreement_for(request.user, reference=reference)
    version = get_object_or_404(DocumentVersion, agreement=agreement, pk=pk)
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=version.filename,
                        content_type=version.content_type)


@login_required
@require_POST
def generate(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, agreement)
    try:
        version = document_services.document_generate(
            agreement=agreement, template_name=form.cleaned_data["template"], actor=request.user
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Documento generato: %(doc)s, versione %(n)d.")
                         % {"doc": version.get_doc_type_display(), "n": version.number})
    return _back(request, agreement)


@login_required
@require_POST
def upload(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, agreement)
    try:
        version = document_services.document_upload(
            agreement=agreement, doc_type=form.cleaned_data["doc_type"], upload=form.cleaned_data["file"],
            actor=request.user,
        )
    except ServiceError as exc:
        messages.error(request, _("File rifiutato: %(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("File caricato: %(doc)s, versione %(n)d.")
                         % {"doc": version.get_doc_type_display(), "n": version.number})
    return _back(request, agreement)


@login_required
@require_POST
def pdf(request, reference, pk):
    agreement = agreement_for(request.user, reference=reference)
    version = get_object_or_404(DocumentVersion, agreement=agreement, pk=pk)
    try:
        queued = document_services.pdf_request(version=version, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("Conversione in PDF richiesta: il PDF comparirà tra le versioni tra poco.")
                      if queued else _("Il PDF di questa versione esiste già."))
    return _back(request, agreement)


@login_required
def templates(request):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    form = TemplateUploadForm()
    if request.method == "POST":
        form = TemplateUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
        else:
            try:
                revision = document_services.template_upload(
                    name=form.cleaned_data["name"], upload=form.cleaned_data["file"], actor=request.user
                )
            except ServiceError as exc:
                messages.error(request, _("Modello rifiutato: %(why)s") % {"why": exc.message})
            else:
                messages.success(request, _("Modello «%(name)s» aggiornato alla revisione %(r)d.")
                                 % {"name": revision.name, "r": revision.revision})
                return redirect(reverse("documents:templates"))
    rows = [{"info": info, "current": current_template(name)} for name, info in TEMPLATES.items()]
    return render(request, "documents/templates.html", {
        "rows": rows,
        "form": form,
        "fields": [(path, FIELD_LABELS.get(path, "")) for path in context_field_list()],
    })


@login_required
@require_GET
def template_download(request, name):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    if name not in TEMPLATES:
        raise Http404
    current = current_template(name)
    if current is not None:
        handle = current.file.open("rb")
    else:
        handle = TEMPLATES[name].shipped_path.open("rb")
    return FileResponse(handle, as_attachment=True, filename=f"{name}.docx", content_type=DOCX_TYPE)


def _compare_choices(agreement) -> list[tuple[str, str]]:
    versions = [v for v in document_selectors.versions_for(agreement) if v.is_docx]
    return [(compare.RECORDED, _("Testo registrato (articoli attuali)"))] + [
        (str(v.pk), f"{v.get_doc_type_display()} v{v.number} · {v.created_at:%d/%m/%Y %H:%M}") for v in versions]


def _compared(request, agreement):
    """The two texts chosen (GET a, b) and their differences; None when nothing is chosen yet."""
    older, newer = request.GET.get("a", ""), request.GET.get("b", "")
    if not older or not newer:
        return None
    try:
        texts = compare.version_text(agreement, older), compare.version_text(agreement, newer)
    except LookupError:
        raise Http404 from None
    return texts[0], texts[1], compare.compare(*texts)


@login_required
@require_GET
def compare_versions(request, reference):
    """Choose two versions of the text and see, article by article, what changed between them."""
    agreement = agreement_for(request.user, reference=reference)
    result = _compared(request, agreement)
    return render(request, "documents/compare.html", {
        "agreement": agreement, "choices": _compare_choices(agreement),
        "a": request.GET.get("a", ""), "b": request.GET.get("b", ""),
        "older": result[0] if result else None, "newer": result[1] if result else None,
        "diffs": result[2] if result else None, "query": request.GET.urlencode(),
    })


@login_required
@require_GET
def compare_download(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    result = _compared(request, agreement)
    if result is None:
        raise Http404
    data = compare.compare_docx(agreement, *result)
    response = HttpResponse(data, content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="confronto-{agreement.reference}.docx"'
    return response
