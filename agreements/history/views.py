"""The agreement's history in words: the page (filter by kind of event) and its CSV for the dossier."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from agreements.common.access import agreement_for

from .selectors import EVENT_KIND_LABELS, history, history_csv_rows, history_pdf


def _kind(request) -> str:
    kind = request.GET.get("tipo", "")
    return kind if kind in EVENT_KIND_LABELS else ""


@login_required
def history_page(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    kind = _kind(request)
    return render(request, "history/page.html", {
        "agreement": agreement, "lines": history(agreement, kind or None), "kind": kind,
        "kinds": [(code, str(label)) for code, label in EVENT_KIND_LABELS.items()],
    })


@login_required
def history_csv(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="storico-{agreement.reference}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerows(history_csv_rows(history(agreement, _kind(request) or None)))
    return response


@login_required
def history_pdf_download(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    data = history_pdf(agreement, history(agreement, _kind(request) or None))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="storico-{agreement.reference}.pdf"'
    return response
