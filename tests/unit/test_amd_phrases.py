"""The AMD corpus's phrase banks (issue 4): the held-out bank is really unheard,
and the wide bank is too varied to learn by heart."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from dialback.bench import amd_phrases_heldout as heldout
from dialback.bench import amd_phrases_wide as wide
from dialback.bench.amd_corpus_text import PHRASES, SLICES, phrase

LANGUAGES = ("en", "ru", "uk")


def _normal(text: str) -> str:
    return re.sub(r"[^\w{}]+", " ", text.lower()).strip()


def _wide_templates(kind: str, language: str) -> set[str]:
    """Every sentence the grammar can say, before names are filled in."""
    slots = wide.GRAMMAR[kind][language]
    return {_normal(" ".join(w for w in words if w)) for words in itertools.product(*slots)}


@pytest.mark.parametrize("kind", sorted(PHRASES))
def test_every_bank_speaks_every_kind_in_every_language(kind: str) -> None:
    rng = random.Random(1)
    for language in LANGUAGES:
        for bank in ("train", "wide", "heldout"):
            text = phrase(kind, language, rng, bank)
            assert text and "{" not in text, (bank, kind, language, text)


def test_the_held_out_bank_shares_no_sentence_with_the_training_banks() -> None:
    """No sentence of three words or more; a "Hello?" is everyone's."""
    for kind in PHRASES:
        for language in LANGUAGES:
            unheard = {_normal(t) for t in heldout.PHRASES[kind][language]}
            unheard = {t for t in unheard if len(t.split()) >= 3}
            assert not unheard & {_normal(t) for t in PHRASES[kind][language]}, kind
            assert not unheard & _wide_templates(kind, language), kind
    assert not set(heldout.NAMES["en"]) & set(wide.NAMES["en"])


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
