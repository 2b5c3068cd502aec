"""The administrator's upload page: choose the register file, see what each row would do (create, update, skip,
or its errors), then import it. The file waits between the preview and the import in the storage, under a name
kept in the user's session, so the import is of exactly the file that was previewed."""

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agreements.common.errors import ServiceError
from agreements.common.guards import ADMIN_ONLY, require_page_role
from agreements.common.roles import Role

from .forms import RegisterFileForm
from .services import CREATE, SKIP, UPDATE, ImportRefused, register_import

SESSION_KEY = "registry_import_file"


def _counts(result) -> dict:
    return {"create": result.count(CREATE), "update": result.count(UPDATE), "skip": result.count(SKIP)}


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    form = RegisterFileForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and request.POST.get("action") == "import":
        return _import(request)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        if uploaded.size > settings.INTESE["UPLOAD_MAX_BYTES"]:
            form.add_error("file", _("File troppo grande."))
            return render(request, "registry_import/upload.html", context, status=400)
        content = uploaded.read()
        try:
            result = register_import(actor=request.user, content=content, filename=uploaded.name, dry_run=True)
        except ImportRefused as refused:
            context.update(result=refused.result, refused=refused)
            return render(request, "registry_import/upload.html", context, status=400)
        except ServiceError as error:
            form.add_error("file", error.message)
            return render(request, "registry_import/upload.html", context, status=400)
        name = default_storage.save(f"registry-import/{uuid.uuid4().hex}{Path(uploaded.name).suffix.lower()}",
                                    ContentFile(content))
        request.session[SESSION_KEY] = {"name": name, "filename": uploaded.name}
        context.update(result=result, counts=_counts(result), ready=True)
    return render(request, "registry_import/upload.html", context)


def _import(request):
    pending = request.session.pop(SESSION_KEY, None)
    if not pending or not default_storage.exists(pending["name"]):
        messages.error(request, _("Carica di nuovo il file: l'anteprima è scaduta."))
        return redirect("registry_import:upload")
    with default_storage.open(pending["name"], "rb") as handle:
        content = handle.read()
    default_storage.delete(pending["name"])
    try:
        result = register_import(actor=request.user, content=content, filename=pending["filename"])
    except ImportRefused as refused:  # the register changed since the preview
        form = RegisterFileForm()
        return render(request, "registry_import/upload.html",
                      {"form": form, "result": refused.result, "refused": refused}, status=400)
    messages.success(request, _("Importati: %(create)d creati, %(update)d aggiornati, %(skip)d invariati.")
                     % _counts(result))
    return redirect("registry_import:upload")
