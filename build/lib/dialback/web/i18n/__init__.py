"""Languages of the web UI and the widget (issue 6): English, Russian, Ukrainian.

One JSON catalog per language beside this file, keys shared by all. The
language comes from an explicit choice (the switch's cookie, or the widget's
``lang``), else the browser's ``Accept-Language``, else English. A key missing
from a catalog falls back to English, then to the key itself.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "uk": "Українська"}
DEFAULT = "en"


@cache
def catalog(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def supported(code: str | None) -> str | None:
    """``"uk-UA"`` -> ``"uk"`` when supported, else None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The language to answer in: ``chosen`` if supported, else the best of the header."""
    explicit = supported(chosen)
    if explicit:
        return explicit
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        fields = part.strip().split(";")
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = supported(fields[0])
        if lang and quality > 0:
            ranked.append((-quality, index, lang))
    return sorted(ranked)[0][2] if ranked else DEFAULT


class Translator:
    """``t("key", n=3)``: the text of ``key`` in one language, ``{n}`` filled in."""

    def __init__(self, lang: str) -> None:
        self.lang = supported(lang) or DEFAULT
        self._own = catalog(self.lang)
        self._fallback = catalog(DEFAULT)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._own.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._own or key in self._fallback

    def section(self, prefix: str) -> dict[str, str]:
        """Every key under ``prefix.`` (without the prefix), e.g. the widget's strings."""
        keys = {k for k in self._fallback if k.startswith(prefix + ".")}
        return {k[len(prefix) + 1 :]: self(k) for k in sorted(keys)}
