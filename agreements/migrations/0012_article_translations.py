"""Articles in any number of languages: heading_other/text_other become `translations` ({code: {heading, text}}),
the old other-language text kept under the agreement's other language (its first language that is not Italian, else
the counterpart's language, else "xx" so that no text is ever dropped)."""

from django.db import migrations, models


def other_language(agreement) -> str:
    others = [code for code in agreement.languages or [] if code != "it"]
    if others:
        return others[0]
    if agreement.counterpart.language and agreement.counterpart.language != "it":
        return agreement.counterpart.language
    return "xx"


def forwards(apps, schema_editor):
    Article = apps.get_model("agreements", "Article")
    for article in Article.objects.select_related("agreement__counterpart").iterator():
        if article.heading_other or article.text_other:
            article.translations = {other_language(article.agreement): {"heading": article.heading_other,
                                                                         "text": article.text_other}}
            article.save(update_fields=["translations"])


def backwards(apps, schema_editor):
    Article = apps.get_model("agreements", "Article")
    for article in Article.objects.select_related("agreement__counterpart").iterator():
        translations = article.translations or {}
        version = translations.get(other_language(article.agreement)) or next(iter(translations.values()), {})
        article.heading_other = version.get("heading", "")[:200]
        article.text_other = version.get("text", "")
        article.save(update_fields=["heading_other", "text_other"])


class Migration(migrations.Migration):
    dependencies = [("agreements", "0011_merge_procedure_notifications")]

    operations = [
        migrations.AddField(
            model_name="article", name="translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="versioni in altre lingue"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="article", name="heading_other"),
        migrations.RemoveField(model_name="article", name="text_other"),
    ]
