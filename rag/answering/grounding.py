"""The deterministic check every generated answer passes before anyone sees it.

The model cites the numbered passages of its prompt as ``[n]``. Sentence by sentence: markers
that point at no passage are removed, and so are markers of a passage that holds under 30 % of
the sentence's content words (it cannot say what the sentence says); a sentence whose cited
passages together hold under 60 % of its content words, or that is left without a citation, is
dropped; citations are renumbered in order of first use; images, foreign links and URLs are
removed. Text addressed to a model inside a passage supports nothing, and a sentence that
carries a word found only in such text (or in a passage's images and foreign links) is dropped
whatever else it says: that word came from the planted text. Each citation quotes the
passage sentences that best support the sentences citing it. The same check runs on a streamed
answer as its sentences complete, so streaming never shows what the final answer would not
contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answering.citations import MARKER_GRAMMAR, markers_in, without_markers
from rag.answering.untrusted import (
    cited_hosts,
    instruction_free,
    looks_like_injection,
    without_foreign_links,
    without_images,
)
from rag.domain.folding import sentence_key
from rag.domain.models import Citation, Passage
from rag.domain.text import ABBREVIATIONS, content_terms, split_sentences

_MARKER = rf"\s*{MARKER_GRAMMAR}"
_LEADING_MARKERS = re.compile(rf"^(?:{_MARKER})+")
# A sentence end, the markers that follow it, then the space before the next sentence.
_BOUNDARY = re.compile(rf"([.!?…]+[\"'”’)]*)((?:{_MARKER})*)\s+(?![\[【]\d)")
_CLOSING = re.compile(r"[.!?…][\"'”’)]*$")
_MARKERS_AFTER_THE_END = re.compile(rf"[.!?…][\"'”’)]*(?:{_MARKER})+\s*$")
_MARKER_ISH = re.compile(r"[\s\[【\]】\d,]*")
_LIST_ITEM = re.compile(r"^(?:[-*•]|\d+[.)])\s")
DECLINE_TEXT = "Not found in the ingested articles."
# Share of a sentence's content words its cited passages must hold: a deterministic proxy for
# "the source says what the sentence says" (paraphrase keeps most names, numbers and nouns).
SUPPORT_SHARE = 0.6
MARKER_SHARE = 0.3  # each cited passage must hold this much of the sentence on its own


def generated_sentences(text: str) -> list[str]:
    """Sentences of a model's answer. Split more eagerly than article prose (a lower-case or
    symbol start still starts a sentence, so nothing rides along on a cited neighbour);
    markers after a full stop stay with their sentence."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        start = 0
        for match in _BOUNDARY.finditer(line):
            word = line[start : match.start(1)].rsplit(" ", 1)[-1].casefold()
            if match[1].startswith(".") and (word in ABBREVIATIONS or len(word) == 1):
                continue
            sentences.append(line[start : match.end(2)].strip())
            start = match.end()
        tail = line[start:].strip()
        leading = _LEADING_MARKERS.match(tail)
        if leading and sentences:  # "... the plan. [1]" at the end of a line
            sentences[-1] += leading[0]
            tail = tail[leading.end() :].strip()
        if tail:
            sentences.append(tail)
    return sentences


@dataclass
class _Support:
    passage: Passage
    quotes: list[str] = field(default_factory=list)


class CitationCheck:
    """Checks one answer's sentences against the passages its prompt numbered 1..n."""

    def __init__(self, passages: list[Passage], decline_text: str) -> None:
        self._passages = passages
        self._decline = sentence_key(decline_text)
        self._cited: dict[int, _Support] = {}  # prompt number -> support, in order of first use
        self.declined = False
        self._sentences: dict[int, list[tuple[frozenset[str], str]]] = {}
        self._tainted: frozenset[str] | None = None

    def sentence(self, raw: str) -> str | None:
        """The checked sentence, or None when it is dropped."""
        raw = without_images(raw)  # "![logo][1]": its [1] is no citation
        body = without_markers(raw)
        if sentence_key(body) == self._decline:
            self.declined = True
            return None
        # Support is judged on the words a reader sees, not on those inside URLs.
        terms = frozenset(content_terms(without_foreign_links(body, frozenset())))
        if not terms or looks_like_injection(body):
            return None
        kept: list[int] = []
        for number in markers_in(raw):
            if number not in kept and self._shares_words(number, terms):
                kept.append(number)
        covered = set().union(*(self._passage_terms(n) for n in kept)) & terms
        if not kept or len(covered) < SUPPORT_SHARE * len(terms):
            return None
        # Removed text's words are no passage's kept words, so only the words the cited
        # passages do not hold can be one (a sentence quoted whole has none: no reading of
        # every passage for it).
        uncovered = terms - covered
        if uncovered and uncovered & self._removed_terms():
            return None
        hosts = cited_hosts(self._passages[n - 1] for n in kept)
        renumbered = "".join(f"[{self._number(n, terms, body)}]" for n in kept)
        after = _MARKERS_AFTER_THE_END.search(raw) is not None
        return _place_markers(without_foreign_links(body, hosts), renumbered, after)

    def citations(self) -> list[Citation]:
        """The cited passages, numbered in order of first use; each quotes the sentences that
        support the answer, in the passage's own order."""
        cited = []
        for n, (number, support) in enumerate(self._cited.items(), start=1):
            order = [text for _, text in self._passage_sentences(number)]
            quotes = sorted(support.quotes, key=order.index)
            cited.append(Citation.of(support.passage, n, " … ".join(quotes)))
        return cited

    def _shares_words(self, number: int, terms: frozenset[str]) -> bool:
        if not 1 <= number <= len(self._passages):
            return False
        return len(terms & self._passage_terms(number)) >= MARKER_SHARE * len(terms)

    def _passage_terms(self, number: int) -> frozenset[str]:
        return frozenset().union(*(t for t, _ in self._passage_sentences(number)))

    def _number(self, number: int, terms: frozenset[str], body: str) -> int:
        support = self._cited.setdefault(number, _Support(self._passages[number - 1]))
        sentences = self._passage_sentences(number)
        # A sentence quoted whole (the extractive answerer's) quotes itself; else the passage
        # sentence that shares the most of its words.
        whole = next((text for _, text in sentences if text == body), None)
        best = whole or max(sentences, key=lambda st: len(terms & st[0]))[1]
        if best not in support.quotes:
            support.quotes.append(best)
        return list(self._cited).index(number) + 1

    def _removed_terms(self) -> frozenset[str]:
        """Words of the passages that only their removed text holds (instructions, images,
        links): no checked sentence may carry one."""
        if self._tainted is None:
            every, kept = set(), set()
            for number, passage in enumerate(self._passages, start=1):
                every |= set(content_terms(passage.text))
                kept |= set(content_terms(passage.title))
                kept |= self._passage_terms(number)
            self._tainted = frozenset(every - kept)
        return self._tainted

    def _passage_sentences(self, number: int) -> list[tuple[frozenset[str], str]]:
        if number not in self._sentences:
            # Words aimed at a model support nothing; quotes carry no foreign links either.
            passage = self._passages[number - 1]
            hosts = cited_hosts([passage])
            sentences = [
                without_foreign_links(s, hosts)
                for s in split_sentences(instruction_free(passage.text))
            ]
            self._sentences[number] = [
                (frozenset(content_terms(s)), s) for s in sentences if s
            ] or [(frozenset(content_terms(passage.title)), passage.title)]
        return self._sentences[number]


def join_sentences(sentences: list[str]) -> str:
    """Checked sentences back into prose; list items keep their own lines."""
    text = ""
    for sentence in sentences:
        separator = "\n" if _LIST_ITEM.match(sentence) else " "
        text = f"{text}{separator}{sentence}" if text else sentence
    return text


class SentenceStream:
    """Feeds streamed text in; hands out sentences once a later one has begun (so are final)."""

    def __init__(self) -> None:
        self._text = ""
        self._handed = 0

    def feed(self, delta: str) -> list[str]:
        self._text += delta
        sentences = generated_sentences(self._text)
        final = len(sentences) - 1  # the last may still grow
        if sentences and _MARKER_ISH.fullmatch(sentences[-1]):
            final -= 1  # "[1" still arriving: it belongs to the sentence before
        ready = sentences[self._handed : max(self._handed, final)]
        self._handed += len(ready)
        return ready

    def finish(self) -> list[str]:
        rest = generated_sentences(self._text)[self._handed :]
        self._handed += len(rest)
        return rest


def _place_markers(body: str, markers: str, after: bool) -> str:
    """Markers go where the writer put them: after the closing punctuation ('It fell 3%. [1]',
    as the extractive answerer quotes whole sentences), else before it ('It fell 3% [1].')."""
    match = _CLOSING.search(body)
    if not match or after:
        return f"{body} {markers}"
    return f"{body[: match.start()]} {markers}{body[match.start() :]}"
