"""The text of an uploaded document is indexed by a real Celery worker once the upload has committed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.activities.services import activity_attachment_upload
from agreements.models import Activity, DocumentVersion, SearchEntry
from agreements.search import selectors
from tests.documents.test_documents_worker import celery_worker_process, wait_for  # noqa: F401 - the fixture
from tests.support.documents import docx_bytes
from tests.support.signing import pdf_bytes


@pytest.mark.worker
def test_an_uploaded_document_is_indexed_by_the_worker_after_commit(celery_worker_process,  # noqa: F811
                                                                      client, drafter, nouvelle_aquitaine,
                                                                      media_root):
    _process, log = celery_worker_process
    # given nothing in the index mentions "ortofrutta"
    assert selectors.search(drafter, "ortofrutta") == []
    # when the drafter uploads a revised text that does, from the documents page
    client.force_login(drafter)
    response = client.post(reverse("documents:upload", args=[nouvelle_aquitaine.reference]),
                           {"doc_type": "testo_revisionato",
                            "file": SimpleUploadedFile("rivisto.docx", docx_bytes("Filiera dell'ortofrutta."))},
                           follow=True)
    assert "File caricato" in str(list(response.context["messages"])[0])
    version = DocumentVersion.objects.get(agreement=nouvelle_aquitaine)
    # then the worker indexes its text (the task was published after the upload's commit)
    entry = wait_for(lambda: SearchEntry.objects.filter(kind="document", source_id=version.pk).first(),
                     f"the document's index entry (worker log: {log})", 90)
    assert "ortofrutta" in entry.body and entry.agreement_id == nouvelle_aquitaine.pk
    wait_for(lambda: b"intese.search_index_document" in log.read_bytes() and b"succeeded" in log.read_bytes(),
             "the worker's log")
    [hit] = [h for h in selectors.search(drafter, "ortofrutta") if h.kind == "document"]
    assert hit.agreement_id == nouvelle_aquitaine.pk and "<mark>ortofrutta</mark>" in hit.snippet


@pytest.mark.worker
def test_an_activity_and_its_attachment_are_indexed_by_the_worker_after_commit(celery_worker_process,  # noqa: F811
                                                                               client, drafter, media_root):
    _process, log = celery_worker_process
    # given nothing in the index mentions "castanicoltura" or "gemellaggio"
    assert selectors.search(drafter, "castanicoltura") == [] and selectors.search(drafter, "gemellaggio") == []
    # when the drafter records an activity from the register's form, then attaches its minutes (a PDF)
    client.force_login(drafter)
    response = client.post(reverse("activities:create"), {
        "kind": "system_mission", "title": "Missione a Bordeaux", "starts_on": "2023-04-12",
        "notes": "Filiera della castanicoltura."})
    assert response.status_code == 302
    activity = Activity.objects.get()
    version = activity_attachment_upload(actor=drafter, activity=activity, doc_type="verbale_attivita",
                                         upload=SimpleUploadedFile("verbale.pdf", pdf_bytes("Un gemellaggio.")))
    # then the worker indexes the record and the attachment (both published after their commits)
    wait_for(lambda: SearchEntry.objects.filter(kind="activity", source_id=activity.pk).exists(),
             f"the activity's index entry (worker log: {log})", 90)
    wait_for(lambda: SearchEntry.objects.filter(kind="document", source_id=version.pk).exists(),
             f"the attachment's index entry (worker log: {log})", 90)
    assert b"intese.search_index_activity" in log.read_bytes()
    assert [h.activity_id for h in selectors.search(drafter, "castanicoltura")] == [activity.pk]
    assert [h.activity_id for h in selectors.search(drafter, "gemellaggio")] == [activity.pk]
