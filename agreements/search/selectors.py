"""One search over what the office has written: agreements' titles and records, articles in every language, DG
opinions, remarks, notes, the text of uploaded documents, the activities of the register and their attachments,
ranked, with highlighted snippets, and only from what the user may see: a hit is an index entry of one agreement
(common.access.visible_agreements) or of one activity (activities.selectors.visible_activities), both filters in the
one query, so an agreement or an activity the user may not see contributes not one byte.

PostgreSQL: full-text search over the GIN-indexed tsvector (Italian configuration for Italian text, 'simple' for
the other languages; the query is read with both), ts_rank with the title weighing most, ts_headline snippets.
The embedded SQLite: the same page with a contains search (title hits first) and snippets cut around the first hit.
"""

import datetime
import functools
import html
import operator
import re
from dataclasses import dataclass

from django.contrib.postgres.search import CombinedSearchQuery, SearchHeadline, SearchQuery, SearchRank
from django.db.models import Case, F, FloatField, Q, Value, When
from django.utils.safestring import SafeString, mark_safe

from agreements.activities.selectors import visible_activities
from agreements.common.access import visible_agreements
from agreements.common.labels import choice_label
from agreements.models import SearchEntry

from .services import full_text_search_available
from .sources import HIT_START, HIT_STOP

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
DEFAULT_LIMIT = 50
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class SearchHit:
    """One hit as the page shows it: the text found (its kind, language, highlighted title and snippet) and the
    agreement or the activity it belongs to (plain values read with it, not model instances)."""

    kind: str
    kind_label: str
    language: str
    title: SafeString
    snippet: SafeString
    rank: float
    agreement_id: int | None  # the agreement the text belongs to, or None for an activity's text
    reference: str
    agreement_title: str
    counterpart: str
    activity_id: int | None
    activity_title: str
    activity_starts_on: datetime.date | None


# What a hit shows of its entry and its owner, read in the query that finds or highlights it.
_HIT_FIELDS = ("pk", "kind", "language", "agreement_id", "agreement__reference", "agreement__title",
               "agreement__counterpart__name", "activity_id", "activity__title", "activity__starts_on")


def _marked(text: str) -> SafeString:
    """Escape the text, then turn the hit markers into <mark>: what the user typed or stored is never markup.
    (html.escape is what django.utils.html.escape calls, without its lazy-string wrapper: twice per hit.)"""
    return mark_safe(html.escape(text or "").replace(HIT_START, "<mark>").replace(HIT_STOP, "</mark>"))  # noqa: S308


def normalise(text: str) -> str:
    return " ".join((text or "").split())[:MAX_QUERY_CHARS]


def search(user, text: str, *, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """The hits for `text` the user may see, best first (at most `limit`)."""
    text = normalise(text)
    if not text or not user.is_authenticated:
        return []
    owners = _visible_owners(user)
    if not owners:
        return []
    if full_text_search_available():
        return _full_text(owners, text, limit)
    return _contains(SearchEntry.objects.filter(functools.reduce(operator.or_, owners)), text, limit)


def _visible_owners(user) -> list[Q]:
    """The entries the user may see, as one condition per kind of owner: an agreement in visible_agreements, an
    activity in visible_activities (none for an owner they see none of). Who sees every agreement and every
    activity sees every entry, each having exactly one owner: [Q()], no subquery at all."""
    owners, everything = [], True
    for field, visible in (("agreement", visible_agreements(user)), ("activity", visible_activities(user))):
        if visible.query.is_empty():
            everything = False
        elif visible.query.has_filters():
            everything = False
            owners.append(Q(**{f"{field}_id__in": visible.values("pk")}))
        else:
            owners.append(Q(**{f"{field}__isnull": False}))
    return [Q()] if everything else owners


def _hit(row: tuple, title: str, snippet: str, rank: float) -> SearchHit:
    (_pk, kind, language, agreement_id, reference, agreement_title, counterpart, activity_id, activity_title,
     starts_on) = row
    return SearchHit(kind=kind, kind_label=choice_label(SearchEntry.Kind, kind), language=language,
                     title=_marked(title), snippet=_marked(snippet), rank=rank, agreement_id=agreement_id,
                     reference=reference or "", agreement_title=agreement_title or "", counterpart=counterpart or "",
                     activity_id=activity_id, activity_title=activity_title or "", activity_starts_on=starts_on)


class _ReadOnce(CombinedSearchQuery):
    """The query as a scalar subquery, `(SELECT q1 || q2)`: PostgreSQL computes it once (an InitPlan) and plans
    the match without knowing its words, so it reads the GIN index."""

    def as_sql(self, compiler, connection, *args, **kwargs):
        sql, params = super().as_sql(compiler, connection, *args, **kwargs)
        return f"(SELECT {sql})", params


def _full_text(owners: list[Q], text: str, limit: int) -> list[SearchHit]:
    italian = SearchQuery(text, config="italian", search_type="websearch")
    simple = SearchQuery(text, config="simple", search_type="websearch")
    query = italian | simple
    # First the ranked ids, then the snippets of those rows only. Who sees every entry: the matches are found
    # through the GIN index, always. Knowing the words, PostgreSQL judged a word in 7% of the entries cheaper to
    # find by reading the whole table (`@@` on each of 111,000 entries, in parallel): on bench_search's data
    # 42 ms instead of 10, and for a word in 46% of them ("ricerca") 123 ms instead of 40. (The benchmark's SQL
    # gets the index the same way: its query is a CTE read twice, never inlined.) Who sees some: one statement per
    # kind of owner, as a UNION ALL (no entry has two owners, so none comes twice). Ored in one statement, the two
    # conditions became a hashed test of every match (for a DG referent 9.3 ms against 7.4; 58 ms against 14 for
    # a word in 45% of the entries). There the words stay visible: hidden, PostgreSQL went from the DG's entries
    # before statistics on the DG existed, through the index after (41 ms instead of 16 for a word in 46%).
    if owners == [Q()]:
        match = _ReadOnce(italian, CombinedSearchQuery.BITOR, simple, None)
    else:
        match = query
    ranked = [
        SearchEntry.objects.filter(owner, vector=match).annotate(rank=SearchRank(F("vector"), match))
        .values_list("pk", "rank", "agreement_id", "kind")
        for owner in owners
    ]
    top = ranked[0].union(*ranked[1:], all=True) if len(ranked) > 1 else ranked[0]
    top = [(pk, rank) for pk, rank, *_ in top.order_by("-rank", "-agreement_id", "kind", "pk")[:limit]]
    if not top:
        return []
    options = {"start_sel": HIT_START, "stop_sel": HIT_STOP}
    rows = {
        row[0]: row for row in SearchEntry.objects.filter(pk__in=[pk for pk, _ in top]).values_list(
            *_HIT_FIELDS,
            SearchHeadline("title", query, config=F("config"), highlight_all=True, **options),
            SearchHeadline("body", query, config=F("config"), max_fragments=2, max_words=30, min_words=12,
                           fragment_delimiter=" … ", **options),
        )
    }
    return [_hit(rows[pk][:-2], *rows[pk][-2:], rank) for pk, rank in top if pk in rows]


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text.replace('"', " ")) if w][:MAX_WORDS]


def _contains(entries, text: str, limit: int) -> list[SearchHit]:
    words = _words(text)
    if not words:
        return []
    matches = Q()
    in_title = Q()
    for word in words:
        matches &= Q(title__icontains=word) | Q(body__icontains=word)
        in_title |= Q(title__icontains=word)
    rows = (
        entries.filter(matches)
        .annotate(rank=Case(When(in_title, then=Value(1.0)), default=Value(0.1), output_field=FloatField()))
        .order_by("-rank", "-agreement_id", "kind", "pk")
        .values_list(*_HIT_FIELDS, "title", "body", "rank")[:limit]
    )
    return [_hit(row[:-3], _mark_words(row[-3], words), _snippet(row[-2], words), row[-1]) for row in rows]


def _mark_words(text: str, words: list[str]) -> str:
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return pattern.sub(lambda m: f"{HIT_START}{m.group(0)}{HIT_STOP}", text or "")


def _snippet(body: str, words: list[str]) -> str:
    body = body or ""
    lower = body.lower()
    positions = [p for p in (lower.find(w.lower()) for w in words) if p >= 0]
    start = max(0, min(positions) - SNIPPET_CHARS // 2) if positions else 0
    piece = body[start:start + SNIPPET_CHARS]
    piece = ("… " if start else "") + piece + (" …" if start + SNIPPET_CHARS < len(body) else "")
    return _mark_words(piece, words)
