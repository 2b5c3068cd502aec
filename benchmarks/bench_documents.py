#!/usr/bin/env python
"""Render throughput of the bilingual Intesa, the product's service against bare docxtpl, in the same run.

Product: agreements.documents.render_version -- what document_generate does before its database write: docxtpl in
the sandboxed Jinja environment (StrictUndefined, autoescape, arithmetic guards), the leftover-tag scan of every
XML part, sha256 and size. Baseline: bare docxtpl (DocxTemplate(...).render(context); save()) with its default
Environment, on the same template file and the same context (the seed's Nouvelle-Aquitaine Intesa, 7 articles in
Italian and French). Rounds alternate product and baseline; ratio = baseline median time / product median time
(higher is better; goal 0.8). One process, one core: documents per second is also documents per second per core.

Memory: resident set size before and after RENDERS product renders (after a warm-up); the script exits non-zero
when it grows by 20 MB or more, or when the ratio misses its goal. No database is used.
"""

import gc
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

GOAL = 0.8
MEMORY_LIMIT_MB = 20
RENDERS = 5_000
ROUNDS = 7
PER_ROUND = 40
WARM_UP = 200


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def seed_context():
    import datetime

    from agreements.documents import render
    from agreements.models import Agreement, Article, Counterpart, Signatory
    from tests.support.documents import NOUVELLE_AQUITAINE_AREAS, NOUVELLE_AQUITAINE_ARTICLES

    agreement = Agreement(
        reference="INT-2022-001", title="Rinnovo dell’Intesa con la Nouvelle-Aquitaine", kind="intesa",
        languages=["it", "fr"], authentic_languages=["it", "fr"], subject_areas=NOUVELLE_AQUITAINE_AREAS,
        duration_months=36, signature_place="Bordeaux", signed_on=datetime.date(2022, 4, 20),
        counterpart=Counterpart(name="Nouvelle-Aquitaine", name_local="Région Nouvelle-Aquitaine", country="Francia",
                                type="region", language="fr"),
    )
    articles = [Article(number=n, heading_it=h_it, text_it=t_it, translations={"fr": {"heading": h_fr, "text": t_fr}})
                for n, h_it, t_it, h_fr, t_fr in NOUVELLE_AQUITAINE_ARTICLES]
    signatories = [Signatory(side="region", name="Stefano Bonaccini", role="Presidente"),
                   Signatory(side="counterpart", name="Alain Rousset", role="Président")]
    return render.context_from(agreement, articles=articles, signatories=signatories, dgs=["DG AGRI"],
                                  today=datetime.date(2022, 4, 1))


def main() -> int:
    import django

    django.setup()
    from docxtpl import DocxTemplate

    from agreements.documents import render
    from agreements.documents import services as documents

    template = render.TEMPLATES["intesa_bilingue"].shipped_path.read_bytes()
    context = seed_context()

    def bare():
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.render(context)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    def product():
        return documents.render_version(template, context)

    # Both produce the same document text: the comparison is like for like.
    import docx

    def text(data):
        document = docx.Document(io.BytesIO(data))
        return [cell.text for row in document.tables[0].rows for cell in row.cells]

    assert text(bare()) == text(product().data)
    assert any("Alain Rousset" in cell for cell in text(bare()))
    bare_times, product_times = [], []
    bare(), product()
    for _ in range(ROUNDS):
        for function, times in ((bare, bare_times), (product, product_times)):
            start = time.perf_counter()
            for _ in range(PER_ROUND):
                function()
            times.append((time.perf_counter() - start) / PER_ROUND)
    bare_s, product_s = statistics.median(bare_times), statistics.median(product_times)
    ratio = bare_s / product_s

    for _ in range(WARM_UP):
        product()
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    for _ in range(RENDERS):
        product()
    elapsed = time.perf_counter() - start
    gc.collect()
    growth = rss_mb() - before

    result = {
        "name": "documents_render_bilingual_intesa",
        "ratio": round(ratio, 3),
        "goal": GOAL,
        "detail": {
            "product_docs_per_second_per_core": round(1 / product_s, 1),
            "bare_docxtpl_docs_per_second_per_core": round(1 / bare_s, 1),
            "product_ms_per_doc": round(product_s * 1000, 2),
            "bare_ms_per_doc": round(bare_s * 1000, 2),
            "renders_for_memory": RENDERS,
            "docs_per_second_over_those_renders": round(RENDERS / elapsed, 1),
            "rss_growth_mb": round(growth, 2),
            "rss_limit_mb": MEMORY_LIMIT_MB,
        },
    }
    print(json.dumps(result), flush=True)
    return 0 if ratio >= GOAL and growth < MEMORY_LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
