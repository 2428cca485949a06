"""Follow-up questions become standalone ones before retrieval.

"Did he endorse all of it?" after "What did Rutte call the victory plan?" is searched as
"Did he endorse all of it? (Rutte victory plan)". The chat model rewrites the question when one is
configured; otherwise, or when it fails, a deterministic rule carries the previous question's
names and topic words over to a question that refers back (a pronoun, "and ...", "what about").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from rag.adapters.chat_model import ChatModel
from rag.answering.citations import without_markers
from rag.answering.prompts import Prompt
from rag.answering.untrusted import quoted
from rag.domain.text import STOPWORDS, names, split_sentences, words
from rag.errors import GenerationFailed

log = logging.getLogger("byline.followup")
HISTORY_TURNS = 6  # earlier messages the model sees when rewriting
_REFERS_BACK = frozenset(
    "he she it they him her them his hers its their theirs this that these those there".split()
)
_OPENERS = re.compile(r"^\s*(?:and|but|so|also|what about|how about)\b", re.I)
_QUESTION_WORDS = frozenset("what who whom whose which when where why how".split())
_NOT_SUBJECT = STOPWORDS | _QUESTION_WORDS | _REFERS_BACK
_SOURCES = re.compile(r"\n+\**Sources\**:?\n.*", re.S)
ANSWER_NAMES = 3
# "he", "she": a person, whom the conversation named; "it", "that", "they" may be anything.
_PERSON_PRONOUNS = frozenset("he she him her his hers himself herself".split())
# Words a name is introduced by ("NATO Secretary General Mark Rutte"), dropped before it.
_TITLES = frozenset(
    "mr mrs ms dr sir dame president vice prime minister secretary general senator sen rep"
    " representative governor gov chancellor ceo chief chairman chairwoman chair coach judge"
    " justice king queen prince princess pope speaker spokesman spokeswoman director leader"
    " mayor ambassador commissioner".split()
)
# "Which outlet reported that, and when?": it asks who published what was just answered.
_SOURCE = re.compile(
    r"^\W*(?:(?:which|what) (?:outlet|news ?paper|paper|publication|site|news (?:site|outlet))"
    r"|who (?:reported|published|broke))\b",
    re.I,
)
_NAME_RUN = re.compile(r"[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)*")


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


def refers_back(question: str) -> bool:
    return bool(_OPENERS.search(question)) or any(w in _REFERS_BACK for w in words(question))


def carried_over(question: str, history: list[Turn]) -> str:
    """The rule, applied turn by turn so that a chain of follow-ups keeps its subject: "he" or
    "she" carries the person the previous answer is about (not fragments of the question);
    any other reference the previous question's words, and the names its answer gave (who or
    what it turned out to be about)."""
    previous: str | None = None
    answered, answer = "", ""
    for turn in history:
        if turn.role == "user":
            previous = _resolved(turn.content, previous, answered, answer)
        else:
            answered, answer = _names(turn.content), turn.content
    return _resolved(question, previous, answered, answer)


def asks_for_source(question: str) -> bool:
    return bool(_SOURCE.search(question))


def _resolved(question: str, previous: str | None, answered: str, answer: str) -> str:
    if previous is not None and refers_back(question) and asks_for_source(question):
        # Who reported "that": the previous question itself is what is asked again.
        return f"{question} ({' '.join(previous.replace('(', ' ').replace(')', ' ').split())})"
    if previous is not None and _PERSON_PRONOUNS & set(words(question)):
        person = _person_referred(previous, answer)
        if person and person.casefold() not in question.casefold():
            return f"{question} ({person})"
    return _with_subject(question, previous, answered)


def people(text: str) -> list[str]:
    """The people a text names, each once, in order: runs of capitalised words with the titles
    and organisation words before the name dropped ("NATO Secretary General Mark Rutte" is
    "Mark Rutte"), possessives removed; a person's name has two words or more."""
    found = []
    for run in _NAME_RUN.findall(text):
        run_words = [w.removesuffix("'s").removesuffix("’s") for w in run.split()]
        after_title = max(
            (i + 1 for i, w in enumerate(run_words) if w.casefold().rstrip(".") in _TITLES),
            default=0,
        )
        name = run_words[after_title:]
        if len(name) >= 2 and not any(w.isupper() for w in name):
            found.append(" ".join(name))
    return list(dict.fromkeys(found))


def _person_referred(previous: str | None, answer: str) -> str:
    """Whom "he" or "she" points at: the first person the previous answer is about, else the
    first the previous question named."""
    first = split_sentences(without_markers(_SOURCES.sub("", answer)))[:1]
    named = people(first[0]) if first else []
    return (named or people(previous or "") or [""])[0]


def _names(answer: str) -> str:
    """Up to ANSWER_NAMES names (capitalised words after a sentence's first) of an answer's
    first sentence, without its markers and Sources."""
    first = split_sentences(without_markers(_SOURCES.sub("", answer)))[:1]
    named = [n for n in names(first[0]) if n.casefold() not in _NOT_SUBJECT] if first else []
    return " ".join(named[:ANSWER_NAMES])


def _with_subject(question: str, previous: str | None, answered: str = "") -> str:
    """The previous question's words, then its answer's names, that this one lacks, appended
    in brackets."""
    if previous is None or not refers_back(question):
        return question
    have = set(words(question))
    carry: list[str] = []
    for word in re.findall(
        r"[^\W_]+(?:['’.-][^\W_]+)*", f"{previous} {answered}".replace("?", " ")
    ):
        key = word.casefold()
        if key not in _NOT_SUBJECT and key not in have and key not in {c.casefold() for c in carry}:
            carry.append(word)
    return f"{question} ({' '.join(carry)})" if carry else question


def split_carried(question: str) -> tuple[str, str]:
    """The question as asked, and the context the rule above appended in brackets ("" when
    none): the answerer reads the two apart."""
    found = re.fullmatch(r"(?P<own>.*?\?)\s*\((?P<carried>[^()]*)\)\s*", question, re.S)
    return (found["own"], found["carried"]) if found else (question, "")


class FollowUps:
    def __init__(self, model: ChatModel | None = None, prompt: Prompt | None = None) -> None:
        self._model = model
        self._prompt = prompt

    def standalone(self, question: str, history: list[Turn]) -> str:
        if not any(t.role == "user" for t in history):
            return question
        if self._model is None or self._prompt is None:
            return carried_over(question, history)
        conversation = "\n".join(
            f"{t.role}: {quoted(_SOURCES.sub('', t.content)).strip()}"
            for t in history[-HISTORY_TURNS:]
        )
        messages = self._prompt.render(history=conversation, question=quoted(question))
        try:
            rewritten = self._model.complete(messages).strip().splitlines()
        except GenerationFailed as exc:
            log.info("follow-up rewrite fell back to the rule (%s)", exc.reason)
            return carried_over(question, history)
        return rewritten[0].strip() if rewritten and rewritten[0].strip() else question
