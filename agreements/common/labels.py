"""Choice labels resolved once per language and process: Model.get_FOO_display builds the whole choices mapping
and looks every label's translation up at each call, which on a page of 25 rows costs hundreds of lookups."""

import functools

from django.utils.translation import get_language


@functools.lru_cache(maxsize=64)
def _choice_labels(choices: type, language: str | None) -> dict:
    return {value: str(label) for value, label in choices.choices}


def choice_label(choices: type, value) -> str:
    """The label of a choice in the active language (the value itself when it is not a choice)."""
    return _choice_labels(choices, get_language()).get(value, value)
