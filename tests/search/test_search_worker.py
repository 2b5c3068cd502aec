"""The text of an uploaded document is indexed by a real Celery worker once the upload has committed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.models import DocumentVersion, SearchEntry
from agreements.search import selectors
from tests.documents.test_documents_worker import celery_worker_process, wait_for  # noqa: F401 - the fixture
from tests.support.documents import docx_bytes


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
    assert hit.agreement == nouvelle_aquitaine and "<mark>ortofrutta</mark>" in hit.snippet
