"""The Region's plan 2022-2023 as data: export_plan gives back exactly the figures of the seed document."""

import csv
import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

# From "Indicatori di monitoraggio e valutazione dell'esecuzione del Piano" (seed, p. 8): name, objectives,
# intermediate target 2022, target 2023.
SEED_INDICATORS = [
    ("n. delegazioni tecniche o istituzionali ricevute", [1, 4, 5], 12, 15),
    ("n. incontri diplomatici realizzati", [1, 4, 5], 12, 15),
    ("n. eventi realizzati", [1, 4, 5], 2, 3),
    ("n. missioni di sistema supportate", [1, 4, 5], 2, 3),
    ("n. note tecniche o pareri elaborati", [1, 4, 5], 20, 22),
    ("Numero di nuovi stakeholder coinvolti nelle azioni, disaggregati per appartenenza o meno "
     "all’amministrazione regionale e per tipologia", [2, 3], 100, 120),
    ("Numero visualizzazioni della pagina “Relazioni Internazionali” del sito regionale", [6], 5000, 6000),
    ("Numero partecipanti agli eventi organizzati sul territorio", [6], 250, 400),
]
# Allegato 1, column "Tempistica", actions 1 to 16.
SEED_TIMINGS = ["Aprile-maggio 2022", "Luglio 2022", "2022", "2022-2023", "2022", "Giugno 2022", "Giugno 2022",
                "2023", "Novembre 2022", "Giugno 2022", "2023", "2023", "2022-2023", "2022", "2023-2024",
                "2022-2023"]


def export(fmt):
    out = io.StringIO()
    call_command("export_plan", "--format", fmt, stdout=out)
    return out.getvalue()


def test_export_plan_reproduces_the_seed_figures():
    call_command("load_plan", stdout=io.StringIO())
    plan = json.loads(export("json"))
    assert [o["number"] for o in plan["objectives"]] == [1, 2, 3, 4, 5, 6]
    second = "Promuovere il rafforzamento e l'ampliamento del partenariato istituzionale."
    assert plan["objectives"][1]["title"] == second
    assert [
        (i["name"], i["objectives"], i["target_2022"], i["target_2023"]) for i in plan["indicators"]
    ] == SEED_INDICATORS
    assert all(i["actual_2022"] is None and i["actual_2023"] is None for i in plan["indicators"])
    assert [a["timing"] for a in plan["actions"]] == SEED_TIMINGS
    first = plan["actions"][0]
    assert first["title"].startswith("Rinnovo dell’Intesa con la Nouvelle-Aquitaine")
    assert first["output"] == (
        "Intesa con la Nouvelle-Aquitaine rinnovata per un periodo di tre anni (aprile 2022 - aprile 2025)"
    )
    assert {"DG AGRI", "DG CRLI", "Agenda Digitale"} <= set(first["sectors"])
    assert all(set(a) >= {"objective", "title", "timing", "sectors", "stakeholders", "output", "office_activities",
                          "spillover"} for a in plan["actions"])

    rows = list(csv.DictReader(io.StringIO(export("csv"))))
    assert len(rows) == 16
    assert [r["timing"] for r in rows] == SEED_TIMINGS


def test_recorded_actuals_appear_in_the_export(drafter):
    from agreements.models import Indicator
    from agreements.plan.services import indicator_actual_record

    call_command("load_plan", stdout=io.StringIO())
    indicator = Indicator.objects.get(name="n. eventi realizzati")
    indicator_actual_record(indicator=indicator, year=2022, value=3, actor=drafter, reason="Eventi del 2022")
    exported = {i["name"]: i for i in json.loads(export("json"))["indicators"]}
    assert exported["n. eventi realizzati"]["actual_2022"] == 3
    assert exported["n. eventi realizzati"]["actual_2023"] is None
