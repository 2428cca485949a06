"""Sentence-aware chunks that the embedding model reads whole.

Sizes are counted in the model's own word pieces: the model reads ``max_tokens`` pieces including
[CLS] and [SEP] and silently drops the rest, and every chunk is embedded with its article's title in
front, so the title's pieces come out of each chunk's budget. Consecutive chunks share up to
``overlap_tokens`` pieces of whole trailing sentences, so a fact at a boundary stays findable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.domain.models import Article, Chunk
from rag.domain.text import ends_sentence, split_sentences
from rag.errors import IngestError

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
MIN_TEXT_BUDGET = 32


@dataclass(frozen=True)
class _Unit:
    text: str
    pieces: int


class Chunker:
    def __init__(
        self, count_pieces: Callable[[str], int], max_tokens: int, overlap_tokens: int
    ) -> None:
        self._count = count_pieces
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def chunk(self, article: Article) -> list[Chunk]:
        budget = self.max_tokens - SPECIAL_TOKENS - self._count(article.title)
        if budget < MIN_TEXT_BUDGET:
            raise IngestError(
                f"{article.source}: headline takes {self._count(article.title)} word pieces, "
                f"leaving under {MIN_TEXT_BUDGET} of {self.max_tokens} for text"
            )
        groups = self._group(self._units(article.body, budget), budget)
        return [
            Chunk(article=article, index=i, text=_join(group)) for i, group in enumerate(groups)
        ]

    def _units(self, body: str, budget: int) -> list[_Unit]:
        units: list[_Unit] = []
        for sentence in split_sentences(body):
            pieces = self._count(sentence)
            if pieces <= budget:
                units.append(_Unit(sentence, pieces))
            else:
                units.extend(self._split_long(sentence, budget))
        return units

    def _split_long(self, sentence: str, budget: int) -> list[_Unit]:
        """A sentence longer than a chunk is cut between words."""
        parts: list[_Unit] = []
        current: list[str] = []
        size = 0
        for word in sentence.split():
            pieces = self._count(word)
            if current and size + pieces > budget:
                parts.append(_Unit(" ".join(current), size))
                current, size = [], 0
            if pieces > budget:  # a single absurd "word": keep what the model can read
                word, pieces = word[: budget * 2], min(self._count(word[: budget * 2]), budget)
            current.append(word)
            size += pieces
        if current:
            parts.append(_Unit(" ".join(current), size))
        return parts

    def _group(self, units: list[_Unit], budget: int) -> list[list[_Unit]]:
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        size = 0
        for unit in units:
            if current and size + unit.pieces > budget:
                groups.append(current)
                current = self._overlap(current, unit, budget)
                size = sum(u.pieces for u in current)
            current.append(unit)
            size += unit.pieces
        if current:
            groups.append(current)
        return groups

    def _overlap(self, previous: list[_Unit], following: _Unit, budget: int) -> list[_Unit]:
        carry: list[_Unit] = []
        size = 0
        for unit in reversed(previous[1:]):  # never carry a whole chunk over
            if size + unit.pieces > self.overlap_tokens or (
                size + unit.pieces + following.pieces > budget
            ):
                break
            carry.insert(0, unit)
            size += unit.pieces
        return carry


def _join(units: list[_Unit]) -> str:
    """Sentences joined by spaces; a line without end punctuation (a heading) keeps its newline."""
    text = ""
    for unit in units:
        if text:
            text += " " if ends_sentence(text) else "\n"
        text += unit.text
    return text
