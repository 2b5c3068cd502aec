"""Languages as ISO 639-1 codes, from pycountry's maintained ISO 639 list (not a hand-written one), with their
names in Italian from the translations pycountry ships."""

import functools
import gettext

import pycountry


@functools.cache
def iso639_1() -> dict[str, str]:
    """Every ISO 639-1 code ("zh") with its English name ("Chinese")."""
    return {lang.alpha_2: lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")}


@functools.cache
def _translation(language: str):
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def is_language(code: str) -> bool:
    return code in iso639_1()


def language_name(code: str, language: str = "it") -> str:
    """The language's name in `language` ("cinese" for zh in Italian); the code itself when unknown."""
    name = iso639_1().get(code)
    return _translation(language).gettext(name) if name else code
