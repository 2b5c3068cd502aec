"""Migration 0012: an article's heading_other/text_other move into `translations` under the agreement's other
language (the first of its languages that is not Italian, else the counterpart's), with nothing lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agreements.models import Article

BEFORE = ("agreements", "0011_merge_procedure_notifications")


@pytest.mark.django_db(transaction=True)
def test_existing_texts_are_kept_under_the_agreements_other_language(drafter):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Counterpart, Agreement, OldArticle = (old.get_model("agreements", m) for m in ("Counterpart", "Agreement",
                                                                                   "Article"))
    murcia = Counterpart.objects.create(name="Región de Murcia", country="Spagna", type="region", language="es")
    quebec = Counterpart.objects.create(name="Québec", country="Canada", type="region", language="fr")
    with_languages = Agreement.objects.create(reference="INT-2020-001", title="A", kind="intesa",
                                              counterpart=murcia, languages=["it", "es"])
    from_counterpart = Agreement.objects.create(reference="MOU-2020-001", title="B", kind="memorandum",
                                                counterpart=quebec, languages=["it"])
    OldArticle.objects.create(agreement=with_languages, number=1, heading_it="Oggetto", text_it="Testo.",
                              heading_other="Objeto", text_other="Texto.")
    OldArticle.objects.create(agreement=from_counterpart, number=1, heading_it="Oggetto", text_it="Testo.",
                              heading_other="Objet", text_other="Texte.")
    OldArticle.objects.create(agreement=from_counterpart, number=2, heading_it="Durata", text_it="Un anno.")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = {(a.agreement.reference, a.number): a for a in Article.objects.select_related("agreement")}
    assert rows["INT-2020-001", 1].translations == {"es": {"heading": "Objeto", "text": "Texto."}}
    assert rows["MOU-2020-001", 1].translations == {"fr": {"heading": "Objet", "text": "Texte."}}
    assert rows["MOU-2020-001", 2].translations == {}
    assert rows["INT-2020-001", 1].text_it == "Testo."
