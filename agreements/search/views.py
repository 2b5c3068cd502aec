"""The search page: one box (also in every page's header), the hits the user may see, ranked, with snippets."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@login_required
@require_GET
def results(request):
    text = selectors.normalise(request.GET.get("q", ""))
    hits = selectors.search(request.user, text) if text else []
    return render(request, "search/results.html", {"q": text, "hits": hits, "limit": selectors.DEFAULT_LIMIT})
