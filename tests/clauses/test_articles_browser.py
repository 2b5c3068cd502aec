"""In Chromium: the articles editor adds and removes rows in place, one column per language, and saves several
articles at once; the agreement page then shows them side by side in the three languages."""

import pytest

from agreements.models import AgreementKind, Article
from agreements.records import services as records
from tests.support.factories import CounterpartFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rows_are_added_and_removed_in_place_and_saved_at_once(browser, live_server, drafter):
    murcia = CounterpartFactory(name="Región de Murcia", country="Spagna", type="region", language="es")
    agreement = records.agreement_create(actor=drafter, title="Intesa con la Región de Murcia",
                                         kind=AgreementKind.INTESA, counterpart=murcia, languages=["it", "es", "fr"])
    page = browser.new_context(locale="it-IT").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", drafter.username)
    page.fill("#id_password", "password-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accordi/{agreement.reference}/articoli/")
    rows = page.locator("[data-formset=articles] [data-row]:visible")
    assert rows.count() == 10  # 9 drafted articles and the empty row
    assert rows.first.locator(".language-column").count() == 3
    # remove article 4 in place, add a new article: it gets number 10 and focus, nothing reloads
    rows.nth(3).locator("[data-remove-row]").click()
    assert rows.count() == 9
    page.click("[data-add-row=articles]")
    assert rows.count() == 10
    new = rows.last
    assert new.locator("input[name$='-number']").input_value() == "10"
    new.locator("input[name$='-heading_it']").fill("Protezione dei dati")
    new.locator("textarea[name$='-text_it']").fill("Le Parti trattano i dati personali secondo il GDPR.")
    new.locator("input[name$='-heading_es']").fill("Protección de datos")
    new.locator("textarea[name$='-text_es']").fill("Las Partes tratarán los datos personales según el RGPD.")
    page.click("text=Salva gli articoli")
    page.wait_for_url(f"{live_server.url}/accordi/{agreement.reference}/")
    numbers = list(Article.objects.filter(agreement=agreement).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    saved = Article.objects.get(agreement=agreement, number=10)
    assert saved.text("es") == "Las Partes tratarán los datos personales según el RGPD." and saved.text("fr") == ""
    # the agreement page shows the text side by side, one column per language
    page.locator("#h-articles + details summary").click()
    headers = page.locator("#h-articles + details table.text-columns thead th").all_inner_texts()
    assert headers == ["Italiano", "Spagnolo", "Francese"]
    page.context.close()
