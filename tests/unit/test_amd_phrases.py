"""The AMD corpus's phrase banks (issue 4): the held-out bank is really unheard,
and the wide bank is too varied to learn by heart."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from dialback.bench import amd_phrases_forms as forms
from dialback.bench import amd_phrases_heldout as heldout
from dialback.bench import amd_phrases_varied as varied
from dialback.bench import amd_phrases_wide as wide
from dialback.bench.amd_corpus_text import PHRASES, SLICES, phrase

LANGUAGES = ("en", "ru", "uk")


def _normal(text: str) -> str:
    return re.sub(r"[^\w{}]+", " ", text.lower()).strip()


def _templates(slots: wide.Slots) -> set[str]:
    return {_normal(" ".join(w for w in words if w)) for words in itertools.product(*slots)}


def _wide_templates(kind: str, language: str) -> set[str]:
    """Every sentence the grammar can say, before names are filled in."""
    return _templates(wide.GRAMMAR[kind][language])


def _rich_templates(kind: str, language: str) -> set[str]:
    """... and every sentence the rich bank's further shapes can say."""
    shapes = forms.FORMS.get(kind, {}).get(language, ())
    return _wide_templates(kind, language).union(*(_templates(s) for s in shapes))


def _varied_templates(kind: str, language: str) -> set[str]:
    """... and every sentence the varied bank's still further shapes can say."""
    shapes = varied.FORMS.get(kind, {}).get(language, ())
    return _rich_templates(kind, language).union(*(_templates(s) for s in shapes))


@pytest.mark.parametrize("kind", sorted(PHRASES))
def test_every_bank_speaks_every_kind_in_every_language(kind: str) -> None:
    rng = random.Random(1)
    for language in LANGUAGES:
        for bank in ("train", "wide", "rich", "varied", "heldout"):
            text = phrase(kind, language, rng, bank)
            assert text and "{" not in text, (bank, kind, language, text)


def test_the_held_out_bank_shares_no_sentence_with_the_training_banks() -> None:
    """No sentence of three words or more; a "Hello?" is everyone's."""
    for kind in PHRASES:
        for language in LANGUAGES:
            unheard = {_normal(t) for t in heldout.PHRASES[kind][language]}
            unheard = {t for t in unheard if len(t.split()) >= 3}
            assert not unheard & {_normal(t) for t in PHRASES[kind][language]}, kind
            assert not unheard & _varied_templates(kind, language), kind
    for language in LANGUAGES:
        heard = set(wide.NAMES[language]) | set(varied.NAMES[language])
        assert not set(heldout.NAMES[language]) & heard, language
        heard = set(wide.COMPANIES[language]) | set(varied.COMPANIES[language])
        assert not set(heldout.COMPANIES[language]) & heard, language


def test_the_wide_bank_has_hundreds_of_sentences_for_every_long_kind() -> None:
    """The training bank has 2-8 sentences a kind; a network hears each hundreds of
    times. The wide bank's greetings and announcements run to hundreds or more."""
    long_kinds = ("business", "voicemail", "carrier", "ivr", "screening", "aside")
    for kind in long_kinds:
        for language in LANGUAGES:
            assert len(_wide_templates(kind, language)) >= 60, (kind, language)
    rng = random.Random(7)
    drawn = {phrase("voicemail", "en", rng, "wide") for _ in range(200)}
    assert len(drawn) > 150  # 200 draws, nearly all different


def test_slices_only_ask_for_kinds_every_bank_has() -> None:
    assert set(SLICES)  # the scenes draw from PHRASES' kinds ...
    assert set(wide.GRAMMAR) == set(PHRASES) == set(heldout.PHRASES)  # ... in every bank


def test_the_rich_bank_adds_shapes_to_the_wide_grammar_and_keeps_its_sentences() -> None:
    """Screeners that ask instead of introducing themselves, desks that answer with a
    department or a name: new sentences, and the wide grammar's still among them."""
    assert set(forms.FORMS) <= set(wide.GRAMMAR)
    for kind in ("screening", "business", "carrier", "voicemail"):
        for language in LANGUAGES:
            added = _rich_templates(kind, language) - _wide_templates(kind, language)
            assert len(added) >= 20, (kind, language)
    rng = random.Random(5)
    drawn = {_normal(phrase("screening", "en", rng, "rich")) for _ in range(300)}
    wide_en = _wide_templates("screening", "en")
    names = "|".join(n.lower() for n in wide.NAMES["en"])

    def template(text: str) -> str:
        return re.sub(rf"\b({names})\b", "{name}", text)

    from_wide = {t for t in drawn if template(t) in wide_en}
    assert 0 < len(from_wide) < len(drawn)  # both the old shape and the new ones


def test_the_varied_bank_adds_shapes_for_every_kind_and_other_names() -> None:
    """Every kind gets sentences neither the wide nor the rich bank can say, the
    rich bank's are still among them, and the names come from both lists."""
    assert set(varied.FORMS) == set(wide.GRAMMAR)
    for kind in wide.GRAMMAR:
        for language in LANGUAGES:
            added = _varied_templates(kind, language) - _rich_templates(kind, language)
            assert len(added) >= 6, (kind, language)
    rng = random.Random(9)
    drawn = [phrase("voicemail", "en", rng, "varied") for _ in range(400)]
    said = " ".join(drawn)
    assert any(n in said for n in varied.NAMES["en"])
    assert any(n in said for n in wide.NAMES["en"])
    rich_en = _rich_templates("voicemail", "en")
    names = "|".join(n.lower() for n in wide.NAMES["en"] + varied.NAMES["en"])
    companies = "|".join(c.lower() for c in wide.COMPANIES["en"] + varied.COMPANIES["en"])

    def template(text: str) -> str:
        text = re.sub(rf"\b({companies})\b", "{company}", _normal(text))
        return re.sub(rf"\b({names})\b", "{name}", text)

    from_rich = {template(t) for t in drawn} & rich_en
    assert 0 < len(from_rich) < len({template(t) for t in drawn})
