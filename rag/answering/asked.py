"""What a question asks for: the kind of answer, its focus, and whose account it wants.

The kind (a number, a date, a person, a place, an organisation, a reason) says which sentences
can answer at all: "How many people died?" is not answered by a sentence without a number, "Who
won?" not by one that names no one the question did not already name. "What did X say/report"
asks for X's account: only a sentence that attributes something to X answers it.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

from rag.answering.followup import asks_for_source, split_carried
from rag.domain.text import STOPWORDS, content_terms, names, words
from rag.domain.timeparse import MONTHS, WEEKDAYS


@functools.lru_cache(maxsize=65536)
def terms_of(text: str) -> tuple[str, ...]:
    """Content words as the answerer matches them, in order: the index's light stems, with a
    final "e" dropped too, so that "share" meets "sharing" and "presented" meets "present".
    Remembered: the same sentences and headlines come back query after query, and stemming
    them was a third of an answer's time."""
    text = _ENSE.sub(r"\1ense", _OR.sub(r"\1or", text))
    return tuple(t[:-1] if len(t) > 4 and t.endswith("e") else t for t in content_terms(text))


# British spellings meet American ones: "defence minister" asks about the "Defense Minister",
# "labour" about "labor".
_ENSE = re.compile(r"\b(def|off|lic|pret)ence\b", re.I)
_OR = re.compile(
    r"\b(behavi|col|fav|hon|harb|hum|lab|neighb|rum|vap|vig|endeav|armo|rig)our(?=s?\b|ed\b|ing\b)",
    re.I,
)


class Kind(StrEnum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ORGANISATION = "organisation"
    REASON = "reason"
    OTHER = "other"


_KINDS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        Kind.NUMBER,
        re.compile(
            r"\bhow (?:much|many|old|long|far|big|large|tall|high|often|fast)\b|\bby how\b"
            r"|\b(?:what|which) (?:\w+ ){0,3}(?:percentage|percent|amount|number|share"
            r"|proportion|score|magnitude|price|cost|rate|age|sum|figure|total|temperature"
            r"|size|population)\b",
            re.I,
        ),
    ),
    (Kind.DATE, re.compile(r"\bwhen\b|\b(?:what|which) (?:date|day|year|month|time)\b", re.I)),
    (
        Kind.PERSON,
        re.compile(
            r"^\s*(?:\w+ )?(?:who|whom)\b|\bwith whom\b|\b(?:which|what) (?:\w+ )?(?:star|singer"
            r"|actor|actress|player|lawmaker|senator|president|leader|quarterback|royal"
            r"|celebrity|rapper|musician|person|official|candidate|ceo|founder|author|director"
            r"|judge|politician|minister|athlete|ambassador|chief|member)\b",
            re.I,
        ),
    ),
    (
        Kind.PLACE,
        re.compile(
            r"^\s*(?:\w+ )?where\b|\b(?:which|what) (?:\w+ )?(?:country|countries|state|states"
            r"|city|cities|nation|region|island|capital|town|county|continent|province)\b",
            re.I,
        ),
    ),
    (
        Kind.ORGANISATION,
        re.compile(
            r"\b(?:which|what) (?:\w+ )?(?:company|companies|airline|bank|firm|brand|retailer"
            r"|team|club|network|app|platform|organi[sz]ation|agency|university|carmaker"
            r"|automaker|party|chain|restaurant|store|body|council|alliance|outlet)\b",
            re.I,
        ),
    ),
    (Kind.REASON, re.compile(r"^\s*why\b|\bwhat (?:led|caused|prompted)\b|\bdue to what\b", re.I)),
)
# "What did Rutte say about ...", "How did Mark Rutte characterize ...": whose account is asked.
_ACCOUNT = re.compile(
    r"\b(?:what|how) (?:did|does|do|has|have|will|would) (?P<who>.+?) (?:say|says|tell|report"
    r"|write|claim|think|believe|announce|reveal|characteri[sz]e|describe|react|respond|warn"
    r"|argue|call|stress|mean|note)\b",
    re.I,
)
# Capitalised, but never who, where or which: "on Thursday", "in October".
_CALENDAR = frozenset([*MONTHS, *WEEKDAYS])
_NUMBERS = re.compile(r"\d[\d,.]*\d|\d")
# "How many soldiers", "how much money": what is counted; a number about anything else does not
# answer. (Not "how much does it cost": no noun follows.)
_COUNTED = re.compile(
    r"\bhow (?:many|much) (?:(?:more|new|of the|of) )?(?P<what>(?:[\w-]+ ){1,3})", re.I
)
# "What is the population of Ukraine?": the measure asked for; a number of anything else is not it.
_MEASURED = re.compile(
    r"\bwhat (?:is|was|are|were|will be) the (?:\w+ )?(?P<what>population|price|cost|rate"
    r"|temperature|magnitude|salary|budget|value|size|death toll)\b",
    re.I,
)
_WHEN = re.compile(
    r"\bwhen (?:will|did|does|do|is|was|are|were|has|have|had|would|can|could) (?P<rest>.+)", re.I
)
_TITLE = (
    r"(?:Mr|Mrs|Ms|Dr|Rep|Sen|Gov|Gen|President|Prime Minister|Minister|Secretary|Senator"
    r"|Judge|Justice|King|Queen|Prince|Princess|Pope|Chancellor|Speaker|CEO|Coach)\.?"
)
_CAP = r"[A-Z][\w'’-]+"
_PERSON = re.compile(rf"\b(?:{_TITLE} {_CAP}|{_CAP}(?: {_CAP})+)")
_PRONOUNS = frozenset("he she they it him her them".split())
# "Did he endorse it?", "What did she say?": the pronoun asks about someone named before, not
# later in the question ("Which figure said she will ..." names its own referent).
_UNRESOLVED = re.compile(
    r"^\W*(?:\w+\s+){0,2}?(?:did|does|do|is|was|were|are|has|have|had|will|would|can|could)"
    r"\s+(?:he|she|they)\b",
    re.I,
)
# The frame of "what did X report/say": it asks for X's account; the sentence that gives it
# need not repeat the verb, so these words count neither for nor against a sentence.
FRAME = frozenset(
    terms_of(
        "report say tell write claim state describe announce mention cover coverage according"
        " wrote told stated described announced mentioned covered"
    )
)


# "How do the outlets' reports differ on ...", "What did each outlet say about ...", "Compare the
# coverage of ...", "Do the sources agree ...": a comparison of accounts, answered per outlet.
_OUTLETISH = re.compile(
    r"\b(?:outlets?|sources|reports|reporting|coverage|accounts|papers|newspapers|articles"
    r"|publications|media|news sites)\b",
    re.I,
)
_COMPARING = re.compile(
    r"\b(?:differ\w*|difference\w*|compar\w+|contrast\w*|agree\w*|disagree\w*|var(?:y|ies)"
    r"|each|both|different|various|side by side)\b",
    re.I,
)
_POLAR = re.compile(
    r"^\W*(?:did|does|do|is|are|was|were|will|would|can|could|has|have|had|should|shall|may"
    r"|might|must)\b",
    re.I,
)
# What a comparison asks besides its topic: these words neither count for nor against a sentence.
COMPARISON_FRAME = frozenset(
    terms_of(
        "outlet outlets source sources report reports reporting coverage account accounts paper"
        " papers newspaper newspapers article articles publication publications media differ"
        " differs difference differences compare compared comparison contrast agree disagree"
        " vary varies each both different various side"
    )
)


@dataclass(frozen=True)
class Asked:
    kind: Kind
    terms: frozenset[str]  # content words, stemmed
    focus: frozenset[str]  # ... without the frame of "what did X say"
    own: frozenset[str]  # the focus of the question as asked, without a follow-up's context
    pairs: frozenset[tuple[str, str]]  # adjacent focus words, in the question's order
    words: frozenset[str]  # every word as written, folded: what a novel name is not
    numbers: frozenset[str]  # "10,000" in "laying off 10,000": a sentence about it repeats it
    speaker: tuple[str, ...]  # whose account "what did X say" asks for; () when none
    counted: frozenset[str]  # what "how many" counts (stemmed); a number sentence names one
    event: frozenset[str]  # what "when" asks the time of (stemmed); a dated sentence names it
    unresolved: bool  # it asks "did he ..." of no one named, with no conversation to say who
    compares: bool = False  # it asks how the outlets' accounts differ, or what each said
    polar: bool = False  # a yes-or-no question ("Did he endorse it?"): no span answers it
    source: bool = False  # it asks which outlet reported what the conversation was about


def read_question(question: str) -> Asked:
    """``question`` may end in the context a follow-up carried over, in brackets ("Did he back
    it? (Rutte victory plan)"): it is searched and covered, but the names in it are not
    what the question already knows, since the answer may well be one of them."""
    own, carried = split_carried(question)
    kind = next((kind for kind, asks in _KINDS if asks.search(own)), Kind.OTHER)
    account = _ACCOUNT.search(own)
    speaker = _speaker(account["who"], carried) if account else ()
    terms = terms_of(question)
    compares = bool(_OUTLETISH.search(own)) and bool(_COMPARING.search(own))
    frame = FRAME | COMPARISON_FRAME if compares else FRAME
    focus = [t for t in terms if t not in frame]
    return Asked(
        kind=kind,
        terms=frozenset(terms),
        focus=frozenset(focus),
        own=frozenset(terms_of(own)) - frame,
        pairs=frozenset(itertools.pairwise(focus)),
        words=frozenset(words(own)),
        numbers=frozenset(_NUMBERS.findall(question)),
        speaker=speaker,
        counted=_counted(own),
        event=_event(own, kind),
        unresolved=not carried and not names(own) and bool(_UNRESOLVED.search(own)),
        compares=compares,
        polar=bool(_POLAR.match(own)),
        source=bool(carried) and asks_for_source(own),
    )


def _speaker(who: str, carried: str) -> tuple[str, ...]:
    """Whose account: the names of "what did X say"; for "what did he say" in a follow-up, the
    people the carried-over context names ("(... Rustem Umerov)")."""
    if who.casefold() in _PRONOUNS:
        return tuple(n.split()[-1] for n in _PERSON.findall(carried))
    return tuple(names(" " + who))


def _counted(question: str) -> frozenset[str]:
    """The head of what is counted: the words after "how many" up to the verb (a stopword
    marks it), the last plural among them ("air defense systems"), else the first ("people")."""
    measured = _MEASURED.search(question)
    if measured is not None:
        return frozenset(terms_of(measured["what"]))
    found = _COUNTED.search(question + " ")
    if found is None:
        return frozenset()
    phrase: list[str] = []
    for word in found["what"].split():
        if word.casefold() in STOPWORDS:  # the verb or "more": the counted thing ends
            break
        phrase.append(word)
    if not phrase:
        return frozenset()
    plurals = [w for w in phrase if w.casefold().endswith("s")]
    head = plurals[-1] if plurals else phrase[0]
    return frozenset(terms_of(head))


def _event(question: str, kind: Kind) -> frozenset[str]:
    """What "when" asks the time of: the first plain word after its auxiliary and subject
    ("When will Ukraine formally join NATO?": join)."""
    if kind is not Kind.DATE:
        return frozenset()
    found = _WHEN.search(question)
    if found is None:
        return frozenset()
    for word in found["rest"].split():
        plain = word.strip(",.?!'’\"").casefold()
        if plain and word[0].islower() and plain not in STOPWORDS and not plain.endswith("ly"):
            return frozenset(terms_of(plain)) - FRAME
    return frozenset()


def person_names(sentence: str, asked: Asked) -> list[str]:
    """Names that look like a person's and are new to the question: two capitalised words in a
    row ("Rustem Umerov"), or one after a title ("Rep. McCarthy", "President Biden")."""
    found = []
    for match in _PERSON.finditer(sentence):
        name = match.group(0)
        # Acronyms (NATO, US) and months are no one's name.
        parts = [p for p in name.split() if not p.isupper() and p.casefold() not in _CALENDAR]
        titled = re.match(_TITLE, name) is not None
        if len(parts) >= (1 if titled else 2) and any(
            p.casefold() not in asked.words for p in parts
        ):
            found.append(name)
    return found


def novel_names(sentence: str, asked: Asked) -> set[str]:
    """Capitalised words after a sentence's first that the question does not use (nor a month
    or a weekday): who or what a sentence names beyond what was asked about."""
    return {
        n.casefold()
        for n in _names_of(sentence)
        if n.casefold().strip(".'’") not in asked.words
        and n.casefold() not in STOPWORDS
        and n.casefold() not in _CALENDAR
    }


@functools.lru_cache(maxsize=65536)
def _names_of(sentence: str) -> tuple[str, ...]:
    return tuple(names(sentence))
