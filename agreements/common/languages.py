"""Languages as ISO 639-1 codes and countries as ISO 3166-1 alpha-2 codes, from pycountry's maintained lists (not
hand-written ones), with their names in Italian from the translations pycountry ships."""

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


@functools.cache
def iso3166_1() -> dict[str, str]:
    """Every ISO 3166-1 alpha-2 country code ("ES") with its English name ("Spain")."""
    return {country.alpha_2: country.name for country in pycountry.countries}


@functools.cache
def _country_translation(language: str):
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(code: str, language: str = "it") -> str:
    """The country's name in `language` ("Spagna" for ES in Italian); the code itself when unknown."""
    name = iso3166_1().get(code)
    return _country_translation(language).gettext(name) if name else code


def country_choices(language: str = "it") -> list[tuple[str, str]]:
    return sorted(((code, country_name(code, language)) for code in iso3166_1()), key=lambda c: c[1])


def is_country(code: str) -> bool:
    return code in iso3166_1()
