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

_SET_VECTORS = """
UPDATE agreements_searchentry
   SET vector = setweight(to_tsvector(config::regconfig, title),
                          (CASE WHEN kind IN ('agreement', 'activity') THEN 'A' ELSE 'B' END)::"char")
             || setweight(to_tsvector(config::regconfig, body), 'D')
 WHERE id = ANY(%s)
"""


def full_text_search_available() -> bool:
    """PostgreSQL's full-text search; the embedded SQLite falls back to a plain contains search."""
    return connection.vendor == "postgresql"


def _store(texts: list[sources.SearchText], *, agreement_id: int | None = None,
           activity_id: int | None = None) -> int:
    """Write the entries of one owner (an agreement or an activity) and compute their vectors."""
    rows = SearchEntry.objects.bulk_create(
        SearchEntry(agreement_id=agreement_id, activity_id=activity_id, kind=t.kind, source_id=t.source_id,
                    language=t.language, config=t.config, title=t.title, body=t.body)
        for t in texts
    )
    if rows and full_text_search_available():
        with connection.cursor() as cursor:
            cursor.execute(_SET_VECTORS, [[row.pk for row in rows]])
    return len(rows)


@transaction.atomic
def search_index_agreement(*, agreement_id: int) -> int:
    """Re-index everything of one agreement except its documents; the number of entries written."""
    agreement = (Agreement.objects.select_for_update(of=("self",)).select_related("counterpart")
                 .filter(pk=agreement_id).first())
    if agreement is None:
        SearchEntry.objects.filter(agreement_id=agreement_id).delete()
        return 0
    SearchEntry.objects.filter(agreement=agreement).exclude(kind=SearchEntry.Kind.DOCUMENT).delete()
    return _store(sources.agreement_texts(agreement), agreement_id=agreement.pk)


@transaction.atomic
def search_index_activity(*, activity_id: int) -> int:
    """Re-index the record of one activity of the register (not its attachments); the number of entries written."""
    activity = (Activity.objects.select_for_update(of=("self",)).prefetch_related("counterparts")
                .filter(pk=activity_id).first())
    if activity is None:
        SearchEntry.objects.filter(activity_id=activity_id).delete()
        return 0
    SearchEntry.objects.filter(activity=activity).exclude(kind=SearchEntry.Kind.DOCUMENT).delete()
    return _store(sources.activity_texts(activity), activity_id=activity.pk)


def _indexable(version: DocumentVersion) -> bool:
    # Uploaded files only: a generated version or its PDF says what the record's articles already say.
    return version.source == DocumentVersion.Source.UPLOADED


def search_index_document(*, version_id: int) -> bool:
    """Index the text of one uploaded version (idempotent: the entry is replaced). The text is read outside the
    transaction; a file whose text cannot be read gets an entry with its title only (so it is not retried)."""
    version = DocumentVersion.objects.select_related("agreement").filter(pk=version_id).first()
    if version is None or not _indexable(version):
        return False
    text = sources.document_text(version)
    with transaction.atomic():
        SearchEntry.objects.filter(kind=SearchEntry.Kind.DOCUMENT, source_id=version.pk).delete()
        _store([text], agreement_id=version.agreement_id, activity_id=version.activity_id)
    return True


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
    for agreement_id in agreement_ids:
        search_index_agreement(agreement_id=agreement_id)
    # Activities: their events name no agreement but carry the activity's id (create, update, attachment).
    activity_ids = {int(pk) for pk in AuditEvent.objects.filter(
        pk__gt=mark.audit_event_id, agreement_id__isnull=True, detail__has_key="activity",
    ).values_list("detail__activity", flat=True) if isinstance(pk, int)}
    activity_ids |= set(Activity.objects.exclude(pk__in=SearchEntry.objects.filter(kind=SearchEntry.Kind.ACTIVITY)
                                                 .values("activity_id"))
                        .order_by("pk").values_list("pk", flat=True)[:CATCH_UP_AGREEMENTS])
    activity_ids = sorted(activity_ids)
    for activity_id in activity_ids:
        search_index_activity(activity_id=activity_id)
    # The watermark moves up to the event before the first one that may still be uncommitted elsewhere.
    newer = AuditEvent.objects.filter(pk__gt=mark.audit_event_id)
    first_unsettled = newer.filter(at__gte=now - SETTLE).aggregate(n=Min("pk"))["n"]
    upto = first_unsettled - 1 if first_unsettled is not None else newer.aggregate(n=Max("pk"))["n"]
    if upto and upto > mark.audit_event_id:
        SearchWatermark.objects.filter(pk=mark.pk, audit_event_id__lt=upto).update(audit_event_id=upto)
    indexed = SearchEntry.objects.filter(kind=SearchEntry.Kind.DOCUMENT).values("source_id")
    missing = list(DocumentVersion.objects.filter(source=DocumentVersion.Source.UPLOADED)
                   .exclude(pk__in=indexed).order_by("pk").values_list("pk", flat=True)[:CATCH_UP_DOCUMENTS])
    for version_id in missing:
        search_index_document(version_id=version_id)
    return {"agreements": len(agreement_ids), "activities": len(activity_ids), "documents": len(missing)}


def search_reindex_all() -> dict:
    """Rebuild the whole index (manage.py search_reindex): every agreement, every activity, every uploaded
    version."""
    agreements = list(Agreement.objects.order_by("pk").values_list("pk", flat=True))
    for agreement_id in agreements:
        search_index_agreement(agreement_id=agreement_id)
    activities = list(Activity.objects.order_by("pk").values_list("pk", flat=True))
    for activity_id in activities:
        search_index_activity(activity_id=activity_id)
    versions = list(DocumentVersion.objects.filter(source=DocumentVersion.Source.UPLOADED)
                    .order_by("pk").values_list("pk", flat=True))
    for version_id in versions:
        search_index_document(version_id=version_id)
    last = AuditEvent.objects.aggregate(n=Max("pk"))["n"] or 0
    SearchWatermark.objects.update_or_create(name=WATERMARK, defaults={"audit_event_id": last})
    return {"agreements": len(agreements), "activities": len(activities), "documents": len(versions)}
