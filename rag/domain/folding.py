"""Folding text: the one home of the ways Byline compares text, each named for its purpose.

- :func:`sentence_key`: a sentence's words, case-folded, for recognising it again whatever its
  spacing and punctuation (a sentence repeated by an overlapping chunk or a syndicated copy, the
  answer a follow-up must not repeat, the decline text).
- :func:`phrase_form` and :func:`holds_phrase`: whole-word containment of a phrase (a gold answer
  in a passage or an answer).
- :func:`pattern_form`: hostile text as a pattern should see it: Unicode NFKC (fullwidth
  ``ＳＹＳＴＥＭ`` becomes ``SYSTEM``), then every lookalike letter mapped to the Latin letter it
  imitates, from Unicode's confusables table as the ``confusable-homoglyphs`` package ships it
  (Cyrillic ``Ѕ`` and ``о``, Greek ``Ι``), then case-folded.

The lookalike table is derived from that package's table once and shipped beside this module
(``lookalikes.json``, 19 KB: reading the package's own 2 MB table was 70 ms of every cold
``byline ask``); a test keeps it equal to what the installed package gives, and
``python -m rag.domain.folding`` writes it again.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

LOOKALIKES = Path(__file__).with_name("lookalikes.json")

_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"[^\w\s]|_")


def sentence_key(text: str) -> str:
    """The words of ``text``, case-folded and joined by single spaces."""
    return " ".join(_WORD.findall(text.casefold()))


def phrase_form(text: str) -> str:
    """Case-folded words separated by single spaces, padded so whole words match with ' w '."""
    return " " + " ".join(_NOT_WORD.sub(" ", text.casefold()).split()) + " "


def holds_phrase(text: str, phrase: str) -> bool:
    """``phrase`` appears in ``text`` as whole words (case and punctuation aside)."""
    needle = phrase_form(phrase)
    return bool(needle.strip()) and needle in phrase_form(text)


def pattern_form(text: str) -> str:
    """NFKC, lookalike letters made Latin, case-folded."""
    return unicodedata.normalize("NFKC", text).translate(_lookalikes()).casefold()


@cache
def _lookalikes() -> dict[int, str]:
    """The shipped table: each lookalike's code point to the ASCII character it imitates."""
    table = json.loads(LOOKALIKES.read_text(encoding="utf-8"))
    return {int(point): latin for point, latin in table.items()}


def derived_lookalikes() -> dict[int, str]:
    """Each non-ASCII character that imitates an ASCII letter or digit, to that character, as
    the installed confusables table says."""
    from confusable_homoglyphs import utils as confusables

    table: dict[int, str] = {}
    for character, homoglyphs in confusables.load("confusables.json").items():
        if len(character) != 1 or character.isascii():
            continue
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii()]
        latin = [c for c in latin if c.isalnum()]
        if not latin:
            continue
        target = next((c for c in latin if c.isalpha()), latin[0])
        if target == "l" and character.isupper():
            target = "I"  # Unicode's prototype for I is l; a capital imitates the capital
        table[ord(character)] = target
    return table


if __name__ == "__main__":
    derived = derived_lookalikes()
    LOOKALIKES.write_text(json.dumps(derived, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{LOOKALIKES}: {len(derived)} lookalikes")
