"""`make run`'s demo: a plausible 2022-2023 register built from what the plan names, computed indicators on the
monitoring page and the 2023 report generated from it."""

import io
import re

import pytest
from django.core.management import call_command
from docx import Document

from agreements.activities.demo import ACTIVITIES, STAKEHOLDERS
from agreements.models import Activity, Agreement, Stakeholder

pytestmark = pytest.mark.django_db


def test_demo_register_feeds_the_monitoring_page_and_the_report(client, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("setup_demo", stdout=io.StringIO())
    assert Activity.objects.count() == len(ACTIVITIES) and Stakeholder.objects.count() == len(STAKEHOLDERS)
    quebec = Activity.objects.get(title="Missione di sistema in Québec")
    assert quebec.country_code == "CA" and [a.number for a in quebec.plan_actions.all()] == [8]
    assert list(quebec.agreements.all()) == [Agreement.objects.get(title="Intesa con il Québec")]
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="redattore"))
    html = client.get("/piano/?piano=2022-2023").content.decode()
    article = re.search(r'<article id="indicatore-4".*?</article>', html, re.S).group(0)  # system missions
    assert re.search(r'data-year="2022">.*?class="computed" href="[^"]*">2</a>', article, re.S)
    assert re.search(r'data-year="2023">.*?class="computed" href="[^"]*">1</a>', article, re.S)
    response = client.get("/piano/rapporto/", {"piano": "2022-2023", "anno": "2023"})
    document = Document(io.BytesIO(response.content))
    assert len(document.inline_shapes) == 8
    assert "Missione di sistema in Québec" in [c.text for t in document.tables for r in t.rows for c in r.cells]
    # a second run creates nothing more
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    assert "0 attività e 0 stakeholder creati" in out.getvalue()
    assert Activity.objects.count() == len(ACTIVITIES)
