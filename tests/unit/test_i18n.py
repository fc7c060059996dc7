"""Languages of the web UI and the widget (issue 6): catalogs complete, negotiation right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dialback.web as web
from dialback.web.i18n import LANGUAGES, Translator, catalog, negotiate

WEB = Path(web.__file__).parent


@pytest.mark.parametrize(
    ("header", "chosen", "expected"),
    [
        ("uk-UA,uk;q=0.9,en;q=0.8", None, "uk"),
        ("de-DE,ru;q=0.5,en;q=0.4", None, "ru"),
        ("en;q=0.2,ru;q=0.9", None, "ru"),
        ("fr, de", None, "en"),
        (None, None, "en"),
        ("ru;q=0, en;q=0.1", None, "en"),
        ("ru", "uk", "uk"),  # the switch wins
        ("ru", "xx", "ru"),  # an unknown choice is ignored
        ("RU_ru", None, "ru"),
    ],
)
def test_language_is_negotiated(header: str | None, chosen: str | None, expected: str) -> None:
    assert negotiate(header, chosen) == expected


def test_every_catalog_has_the_same_keys_and_no_empty_text() -> None:
    english = set(catalog("en"))
    for lang in LANGUAGES:
        assert set(catalog(lang)) == english, lang
        assert all(text.strip() for text in catalog(lang).values()), lang


def test_placeholders_match_across_languages() -> None:
    for key, text in catalog("en").items():
        wanted = set(re.findall(r"\{(\w+)\}", text))
        for lang in ("ru", "uk"):
            assert set(re.findall(r"\{(\w+)\}", catalog(lang)[key])) == wanted, (lang, key)


def test_every_key_the_templates_use_is_in_the_catalog() -> None:
    used: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", template.read_text()))
    assert used, "no keys found: the pattern is wrong"
    assert used - set(catalog("en")) == set()


def test_every_text_the_widget_script_asks_for_is_in_the_widget_section() -> None:
    script = (WEB / "static" / "widget.js").read_text()
    used = set(re.findall(r"""\btr\(\s*["'](\w+)["']""", script))
    used |= {"calling_manager", "calling_you", "connected"}  # tr(current.stage)
    assert used - set(Translator("en").section("widget")) == set()


def test_a_translator_fills_in_values_and_falls_back_to_the_key() -> None:
    t = Translator("ru")
    assert t("board.attempts", n=3) == "попыток: 3"
    assert t("no.such.key") == "no.such.key"
