"""No traceback reaches a user: with DEBUG off, a failure is the Italian 500 page in the site's layout with an
incident reference that the log repeats with the traceback; an ordinary 403 or 404 is one line in the log."""

import logging
import re

import pytest
from django.test import override_settings


@pytest.fixture
def failing_site(settings):
    settings.DEBUG = False
    with override_settings(ROOT_URLCONF="tests.platform.error_urls"):
        yield


@pytest.mark.django_db
def test_a_failure_shows_an_incident_reference_that_the_log_has_with_the_traceback(
        client, drafter, failing_site, caplog):
    client.raise_request_exception = False
    client.force_login(drafter)
    with caplog.at_level(logging.INFO):
        response = client.get("/guasto/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Si è verificato un errore" in page and "Registro" in page  # the site's layout, logged-in navigation
    assert "Traceback" not in page and "the disk is full" not in page and "RuntimeError" not in page
    incident = re.search(r'<strong id="incident">([0-9A-F]{8})</strong>', page).group(1)
    records = [r for r in caplog.records if incident in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    assert records[0].exc_info[0] is RuntimeError and "GET /guasto/ user=redattore" in records[0].getMessage()
    # logged once: Django's own "Internal Server Error" record with a second traceback is not added
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.django_db
def test_a_bad_request_page_has_an_incident_reference(client, failing_site, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/accounts/login/", HTTP_HOST="evil.example.org")  # not in ALLOWED_HOSTS
    page = response.content.decode()
    assert response.status_code == 400 and "Richiesta non valida" in page
    incident = re.search(r'<strong id="incident">([0-9A-F]{8})</strong>', page).group(1)
    assert [r for r in caplog.records if incident in r.getMessage() and r.exc_info]


@pytest.mark.django_db
def test_forbidden_and_not_found_are_one_line_each(client, drafter, failing_site, caplog):
    client.force_login(drafter)
    with caplog.at_level(logging.INFO):
        forbidden = client.get("/promemoria/salute/")  # administrators only
        missing = client.get("/accordi/NON-ESISTE/")
    assert forbidden.status_code == 403 and "Operazione non consentita" in forbidden.content.decode()
    assert missing.status_code == 404 and "Pagina non trovata" in missing.content.decode()
    lines = [r for r in caplog.records if r.name in ("intese.errors", "django.request")]
    assert [r.getMessage().split(":")[0] for r in lines] == [
        "403 on GET /promemoria/salute/ user=redattore", "404 on GET /accordi/NON-ESISTE/ user=redattore"]
    assert not [r for r in lines if r.exc_info]
