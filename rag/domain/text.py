"""Plain-text helpers shared by ingest (chunking) and answering: sentences, words, cleaning."""

from __future__ import annotations

import re
import unicodedata

# Abbreviations whose final period does not end a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen col lt sgt capt gov sen rep rev fr hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd no vs etc al approx
    u.s u.k u.n e.g i.e a.m p.m d.c""".split()
)
_SENTENCE_END = re.compile(r"""([.!?…]+["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9À-Ý€$£])""")
_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)
_NAME = re.compile(r"\b[A-Z][\w'’-]+")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
# Zero-width and bidi controls hide text from readers but not from models.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say also according did does do many much""".split()
)


def normalize_text(text: str) -> str:
    """NFC, no invisible characters, no control characters but newlines and tabs."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; paragraphs (blank lines) always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\S)", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            candidate = paragraph[start : match.end(1)]
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?…\"'”’)]").lower()
            if match.group(1).startswith(".") and (
                last_word in ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word)
            ):
                continue
            sentences.append(candidate.strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def ends_sentence(text: str) -> bool:
    """Whether text ends like a sentence (a headline or a label does not)."""
    return bool(_ENDS_SENTENCE.search(text))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, keeping inner apostrophes and periods (U.S., don't)."""
    return [w.casefold() for w in _WORD.findall(text)]


def names(text: str) -> list[str]:
    """Capitalised words after the first (which any sentence capitalises), stopwords aside, each
    once, in order: the people, places and things a question or an answer names."""
    found = _NAME.findall(text.split(" ", 1)[-1])
    return [w for w in dict.fromkeys(found) if w.casefold() not in STOPWORDS]


def content_terms(text: str) -> list[str]:
    """Words that carry meaning, lightly stemmed so 'delivers' meets 'delivered'."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def stem(word: str) -> str:
    word = word.replace("’", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
