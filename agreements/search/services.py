"""Writes of the search index (agreements/models/search.py): derived data, rebuilt from the rows it indexes, so
these write no audit event (nothing a person did changed; `manage.py search_reindex` rebuilds it all).

- `search_index_agreement`: the record, its articles in every language, opinions, remarks and notes of one agreement;
- `search_index_activity`: the record of one activity of the register, run by the worker after the activity's
  create or update commits (`intese.search_index_activity`);
- `search_index_document`: the text of one uploaded version, of an agreement or an activity's attachment (docx via
  python-docx, PDF via pypdf, the document inside a .p7m), run by the worker after the upload commits
  (`intese.search_index_document`);
- `search_refresh_job`: the periodic job (beat, every minute) that re-indexes the agreements and activities with
  audit events the index has not seen yet, and any uploaded version whose indexing message was lost.
"""

import datetime
import logging
from dataclasses import dataclass, fields

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from agreements.models import Activity, Agreement, AuditEvent, DocumentVersion, SearchEntry, SearchWatermark

from . import sources

logger = logging.getLogger(__name__)

WATERMARK = "audit"
# An audit event younger than this may belong to a transaction that has not committed yet: the agreements it names
# are indexed again at the next run, until the event is older.
SETTLE = datetime.timedelta(minutes=5)
# Uploaded versions never indexed (their message lost with a broker restart), agreements never indexed: how many
# each run picks up.
CATCH_UP_DOCUMENTS = 20
CATCH_UP_AGREEMENTS = 500
# How many agreements (or activities) one transaction of the rebuild and the refresh re-indexes, how many entries
# one INSERT writes, how many documents are read before their entries are written.
REINDEX_BATCH = 500
STORE_BATCH = 2000
DOCUMENT_BATCH = 50

# The entries of a batch in one statement, each with its vector computed as it is written (title weighs most for a
# record, then headings; body last): the text arrays travel as 8 parameters, whatever the number of entries.
_INSERT_ENTRIES = """
INSERT INTO agreements_searchentry
       (agreement_id, activity_id, kind, source_id, language, config, title, body, vector, indexed_at)
SELECT u.agreement_id, u.activity_id, u.kind, u.source_id, u.language, u.config, u.title, u.body,
       setweight(to_tsvector(u.config::regconfig, u.title),
                 (CASE WHEN u.kind IN ('agreement', 'activity') THEN 'A' ELSE 'B' END)::"char")
       || setweight(to_tsvector(u.config::regconfig, u.body), 'D'),
       now()
  FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
       AS u(agreement_id, activity_id, kind, source_id, language, config, title, body)
"""


def full_text_search_available() -> bool:
    """PostgreSQL's full-text search; the embedded SQLite falls back to a plain contains search."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class _Entry:
    """An entry to write (plain values: a batch of thousands is written without building model instances)."""

    agreement_id: int | None
    activity_id: int | None
    kind: str
    source_id: int
    language: str
    config: str
    title: str
    body: str


_COLUMNS = tuple(field.name for field in fields(_Entry))


def _entry(text: sources.SearchText, *, agreement_id: int | None = None, activity_id: int | None = None) -> _Entry:
    return _Entry(agreement_id, activity_id, text.kind, text.source_id, text.language, text.config, text.title,
                  text.body)


def _store_entries(entries: list[_Entry]) -> int:
    """Write entries (of any owners) with their vectors: one INSERT per STORE_BATCH entries on PostgreSQL (the
    embedded SQLite has no vector: a plain bulk insert)."""
    if not full_text_search_available():
        rows = [SearchEntry(**{c: getattr(e, c) for c in _COLUMNS}) for e in entries]
        return len(SearchEntry.objects.bulk_create(rows, batch_size=STORE_BATCH))
    with connection.cursor() as cursor:
        for start in range(0, len(entries), STORE_BATCH):
            batch = entries[start:start + STORE_BATCH]
            cursor.execute(_INSERT_ENTRIES, [[getattr(e, c) for e in batch] for c in _COLUMNS])
    return len(entries)


def _store(texts: list[sources.SearchText], *, agreement_id: int | None = None,
           activity_id: int | None = None) -> int:
    """Write the entries of one owner (an agreement or an activity) and compute their vectors."""
    return _store_entries([_entry(t, agreement_id=agreement_id, activity_id=activity_id) for t in texts])


@transaction.atomic
def search_index_agreements(*, agreement_ids: list[int]) -> int:
    """Re-index everything of these agreements except their documents, in one transaction and a fixed number of
    queries whatever their number; the number of entries written. An id with no agreement loses its entries."""
    agreements = list(Agreement.objects.select_for_update(of=("self",)).select_related("counterpart")
                      .filter(pk__in=agreement_ids).order_by("pk"))
    SearchEntry.objects.filter(agreement_id__in=agreement_ids).exclude(kind=SearchEntry.Kind.DOCUMENT).delete()
    texts = sources.agreements_texts(agreements)
    return _store_entries([_entry(t, agreement_id=pk) for pk, owned in texts.items() for t in owned])


def search_index_agreement(*, agreement_id: int) -> int:
    """Re-index everything of one agreement except its documents; the number of entries written."""
    return search_index_agreements(agreement_ids=[agreement_id])


@transaction.atomic
def search_index_activities(*, activity_ids: list[int]) -> int:
    """Re-index the records of these activities of the register (not their attachments), in one transaction; the
    number of entries written. An id with no activity loses its entries."""
    activities = list(Activity.objects.select_for_update(of=("self",)).prefetch_related("counterparts")
                      .filter(pk__in=activity_ids).order_by("pk"))
    SearchEntry.objects.filter(activity_id__in=activity_ids).exclude(kind=SearchEntry.Kind.DOCUMENT).delete()
    return _store_entries([_entry(t, activity_id=a.pk) for a in activities for t in sources.activity_texts(a)])


def search_index_activity(*, activity_id: int) -> int:
    """Re-index the record of one activity of the register (not its attachments); the number of entries written."""
    return search_index_activities(activity_ids=[activity_id])


def _indexable(version: DocumentVersion) -> bool:
    # Uploaded files only: a generated version or its PDF says what the record's articles already say.
    return version.source == DocumentVersion.Source.UPLOADED


def search_index_documents(*, version_ids: list[int]) -> int:
    """Index the text of these uploaded versions (idempotent: each entry is replaced); the number indexed. Each
    file's text is read once, outside the transaction; a file whose text cannot be read gets an entry with its title
    only (so it is not retried). The write is one transaction for the batch."""
    versions = [v for v in DocumentVersion.objects.filter(pk__in=version_ids).order_by("pk") if _indexable(v)]
    entries = [_entry(sources.document_text(v), agreement_id=v.agreement_id, activity_id=v.activity_id)
               for v in versions]
    with transaction.atomic():
        SearchEntry.objects.filter(kind=SearchEntry.Kind.DOCUMENT, source_id__in=[v.pk for v in versions]).delete()
        _store_entries(entries)
    return len(versions)


def search_index_document(*, version_id: int) -> bool:
    """Index the text of one uploaded version; False when there is no such uploaded version."""
    return search_index_documents(version_ids=[version_id]) == 1


def _batches(ids: list[int], size: int = REINDEX_BATCH):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def search_refresh_job(*, now: datetime.datetime | None = None) -> dict:
    """Re-index the agreements named by audit events the index has not seen (every write of an agreement writes
    one), then the uploaded versions never indexed. Idempotent: running it twice indexes the same texts."""
    now = now or timezone.now()
    mark, _created = SearchWatermark.objects.get_or_create(name=WATERMARK)
    recent = AuditEvent.objects.filter(pk__gt=mark.audit_event_id, agreement_id__isnull=False)
    agreement_ids = set(recent.values_list("agreement_id", flat=True))
    # Agreements never indexed (written before the search existed, or by a path that records no event).
    agreement_ids |= set(Agreement.objects.exclude(pk__in=SearchEntry.objects.filter(kind=SearchEntry.Kind.AGREEMENT)
                                                   .values("agreement_id"))
                         .order_by("pk").values_list("pk", flat=True)[:CATCH_UP_AGREEMENTS])
    agreement_ids = sorted(agreement_ids)
    for batch in _batches(agreement_ids):
        search_index_agreements(agreement_ids=batch)
    # Activities: their events name no agreement but carry the activity's id (create, update, attachment).
    activity_ids = {int(pk) for pk in AuditEvent.objects.filter(
        pk__gt=mark.audit_event_id, agreement_id__isnull=True, detail__has_key="activity",
    ).values_list("detail__activity", flat=True) if isinstance(pk, int)}
    activity_ids |= set(Activity.objects.exclude(pk__in=SearchEntry.objects.filter(kind=SearchEntry.Kind.ACTIVITY)
                                                 .values("activity_id"))
                        .order_by("pk").values_list("pk", flat=True)[:CATCH_UP_AGREEMENTS])
    activity_ids = sorted(activity_ids)
    for batch in _batches(activity_ids):
        search_index_activities(activity_ids=batch)
    # The watermark moves up to the event before the first one that may still be uncommitted elsewhere.
    newer = AuditEvent.objects.filter(pk__gt=mark.audit_event_id)
    first_unsettled = newer.filter(at__gte=now - SETTLE).aggregate(n=Min("pk"))["n"]
    upto = first_unsettled - 1 if first_unsettled is not None else newer.aggregate(n=Max("pk"))["n"]
    if upto and upto > mark.audit_event_id:
        SearchWatermark.objects.filter(pk=mark.pk, audit_event_id__lt=upto).update(audit_event_id=upto)
    indexed = SearchEntry.objects.filter(kind=SearchEntry.Kind.DOCUMENT).values("source_id")
    missing = list(DocumentVersion.objects.filter(source=DocumentVersion.Source.UPLOADED)
                   .exclude(pk__in=indexed).order_by("pk").values_list("pk", flat=True)[:CATCH_UP_DOCUMENTS])
    search_index_documents(version_ids=missing)
    return {"agreements": len(agreement_ids), "activities": len(activity_ids), "documents": len(missing)}


def search_reindex_all() -> dict:
    """Rebuild the whole index (manage.py search_reindex): every agreement, every activity, every uploaded
    version."""
    agreements = list(Agreement.objects.order_by("pk").values_list("pk", flat=True))
    for batch in _batches(agreements):
        search_index_agreements(agreement_ids=batch)
    activities = list(Activity.objects.order_by("pk").values_list("pk", flat=True))
    for batch in _batches(activities):
        search_index_activities(activity_ids=batch)
    versions = list(DocumentVersion.objects.filter(source=DocumentVersion.Source.UPLOADED)
                    .order_by("pk").values_list("pk", flat=True))
    # Documents in smaller batches: each file is read and parsed before its batch is written.
    for batch in _batches(versions, DOCUMENT_BATCH):
        search_index_documents(version_ids=batch)
    last = AuditEvent.objects.aggregate(n=Max("pk"))["n"] or 0
    SearchWatermark.objects.update_or_create(name=WATERMARK, defaults={"audit_event_id": last})
    return {"agreements": len(agreements), "activities": len(activities), "documents": len(versions)}
