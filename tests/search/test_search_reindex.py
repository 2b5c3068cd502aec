"""The full rebuild of the search index works in batches: the same entries as indexing each agreement, activity and
document on its own, in a number of queries that does not grow with the number of agreements."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.activities.services import activity_create
from agreements.common.audit import audit_record
from agreements.documents import services as documents
from agreements.models import Activity, ActivityKind, Agreement, Article, DocumentVersion, Opinion, SearchEntry
from agreements.search import selectors, services
from tests.support.documents import docx_bytes
from tests.support.factories import AgreementFactory, CounterpartFactory

pytestmark = pytest.mark.django_db


def register(n, drafter, dg, *, start=0):
    """n agreements, each with its own words in two articles (Italian and French), an opinion, a remark, a note;
    an activity per agreement."""
    for i in range(start, start + n):
        agreement = AgreementFactory(title=f"Intesa numero{i}", dgs=[dg], languages=["it", "fr"],
                                     counterpart=CounterpartFactory(name=f"Controparte{i}"), notes=f"notaparola{i}")
        for number in (1, 2):
            Article.objects.create(agreement=agreement, number=number, heading_it=f"Articolo {number}",
                                   text_it=f"Testo articolo{i}x{number}.",
                                   translations={"fr": {"heading": f"Article {number}", "text": f"francese{i}"}})
        Opinion.objects.create(agreement=agreement, dg=dg, round=1, kind="favourable_remarks",
                               notes=f"parere{i} favorevole", due_date="2026-01-31")
        audit_record(actor=drafter, agreement=agreement, action="send_back", detail={"remarks": f"rilievo{i}"})
        activity_create(actor=drafter, kind=ActivityKind.EVENT, title=f"Evento{i}", starts_on=datetime.date(2023, 1, 1),
                        notes=f"attivitanota{i}", dgs=[dg])


def entries() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT agreement_id, activity_id, kind, source_id, language, config, title, body, "
                       "vector::text FROM agreements_searchentry")
        return set(cursor.fetchall())


def test_the_batched_rebuild_writes_the_entries_of_indexing_one_by_one(drafter, dg_agri, media_root):
    # given a register of agreements and activities, one agreement with an uploaded document
    register(7, drafter, dg_agri)
    first = Agreement.objects.order_by("pk").first()
    documents.document_upload(agreement=first, doc_type="testo_revisionato", actor=drafter,
                              upload=SimpleUploadedFile("t.docx", docx_bytes("Luppolo e orzo.")))
    # when each agreement, activity and document is indexed on its own
    SearchEntry.objects.all().delete()
    for pk in Agreement.objects.values_list("pk", flat=True):
        services.search_index_agreement(agreement_id=pk)
    for pk in Activity.objects.values_list("pk", flat=True):
        services.search_index_activity(activity_id=pk)
    for pk in DocumentVersion.objects.values_list("pk", flat=True):
        services.search_index_document(version_id=pk)
    one_by_one = entries()
    # and then the whole index is rebuilt in batches of 3
    SearchEntry.objects.all().delete()
    services.REINDEX_BATCH, saved = 3, services.REINDEX_BATCH
    try:
        done = services.search_reindex_all()
    finally:
        services.REINDEX_BATCH = saved
    # then the entries are the same, each text under its own agreement or activity, vectors included
    assert done == {"agreements": 7, "activities": 7, "documents": 1}
    assert entries() == one_by_one
    assert len(one_by_one) == 7 * (1 + 1 + 4 + 1 + 1) + 7 + 1  # record, note, 2 articles x 2 languages, opinion, remark
    assert [h.agreement_title for h in selectors.search(drafter, "articolo3x2")] == ["Intesa numero3"]
    assert [h.agreement_title for h in selectors.search(drafter, "rilievo5")] == ["Intesa numero5"]
    assert [h.activity_title for h in selectors.search(drafter, "attivitanota6")] == ["Evento6"]
    assert [h.agreement_id for h in selectors.search(drafter, "luppolo")] == [first.pk]


def test_the_rebuild_costs_the_same_queries_for_4_or_20_agreements(drafter, dg_agri):
    register(4, drafter, dg_agri)
    services.search_reindex_all()  # the watermark row exists from now on (created once, then updated)
    with CaptureQueriesContext(connection) as few:
        services.search_reindex_all()
    register(16, drafter, dg_agri, start=4)
    with CaptureQueriesContext(connection) as many:
        services.search_reindex_all()
    assert SearchEntry.objects.filter(kind="agreement").count() == 20
    assert len(many.captured_queries) == len(few.captured_queries) <= 24, [q["sql"][:80] for q in many]
