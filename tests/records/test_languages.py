"""Languages are ISO 639-1 codes from pycountry's list: Chinese (zh) and any other real code are accepted, an
invented one is refused with the code named; more than two languages are kept in order."""

import pytest

from agreements.common.languages import language_name
from agreements.documents.render import language_names
from agreements.records.forms import LanguageListField


def test_chinese_and_several_languages_are_accepted_in_order():
    assert LanguageListField().clean("it, zh, en, zh") == ["it", "zh", "en"]


def test_an_unknown_code_is_refused_with_the_code():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        LanguageListField().clean("it, xx")
    assert "xx" in str(refused.value)


def test_names_in_italian_from_the_iso_list():
    assert language_name("zh") == "Cinese"
    assert language_name("eu") == "Basco"
    assert language_names("eu")[0] == "Basco"  # beyond the templates' own table
