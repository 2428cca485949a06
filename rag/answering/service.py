"""The ask service: follow-up → standalone question, retrieve, answer, check citations.

With a chat model configured the LLM answers and every sentence passes the citation check as it
completes; when the model times out, fails, or leaves no validly cited sentence, the extractive
answerer answers instead and the response says why (``Answer.reason``). Both modes, plain and
streamed, run the same code: a plain answer is the streamed one collected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rag.answering.citations import without_markers
from rag.answering.extractive import Drafted, ExtractiveAnswerer
from rag.answering.followup import FollowUps, Turn
from rag.answering.grounding import DECLINE_TEXT, CitationCheck, join_sentences
from rag.answering.llm_answerer import LLMAnswerer
from rag.answering.short_answer import lead_with, without_short_answer
from rag.domain.folding import holds_phrase, sentence_key
from rag.domain.models import Answer, Answerer, Searched
from rag.domain.text import split_sentences
from rag.errors import GenerationFailed
from rag.retrieval.retriever import Query, Retrieved, Retriever


def _previous_answer(history: list[Turn]) -> frozenset[str]:
    """The sentences of the conversation's last answer, without its Sources list."""
    answers = [t.content for t in history if t.role == "assistant"]
    if not answers:
        return frozenset()
    text = without_short_answer(answers[-1].split("\n\nSources:", 1)[0])
    return frozenset(sentence_key(without_markers(s)) for s in split_sentences(text))


def searched(query: Query, retrieved: Retrieved) -> Searched:
    """The time and outlets a question was looked for in: the window it names, else the
    query's bounds, up to the time it was asked as of."""
    window = retrieved.window
    since = window.start if window is not None else query.since
    until = min(window.end, retrieved.as_of) if window is not None else retrieved.as_of
    if query.until is not None:
        until = min(until, query.until)
    return Searched(since, until, retrieved.named_outlets or query.outlets)


@dataclass(frozen=True)
class Found:
    retrieved: Retrieved
    ms: float
    scope: Searched  # the time and outlets looked in, as /ask says them


@dataclass(frozen=True)
class Delta:
    """More answer text, already checked: it is never taken back."""

    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Delta | Done


class AskService:
    def __init__(
        self,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        llm: LLMAnswerer | None = None,
        follow_ups: FollowUps | None = None,
    ) -> None:
        self._retriever = retriever
        self._extractive = extractive
        self._llm = llm
        self._follow_ups = follow_ups or FollowUps()
        self.on_answer: Callable[[Answer], None] | None = None  # e.g. the API's metrics

    def search(self, query: Query) -> Found:
        """The passages retrieval finds for the question as asked (no follow-up, no answer)."""
        started = time.perf_counter()
        query = replace(query, as_of=query.as_of or datetime.now(UTC))
        retrieved = self._retriever.retrieve(query)
        ms = round((time.perf_counter() - started) * 1000, 1)
        return Found(retrieved, ms, searched(query, retrieved))

    def ask(self, query: Query, history: list[Turn] | None = None) -> Answer:
        for event in self.events(query, history, stream=False):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("events() always ends with Done")

    def events(
        self, query: Query, history: list[Turn] | None = None, stream: bool = True
    ) -> Iterator[Event]:
        """Checked text deltas, then Done with the whole answer. Closing the iterator early
        (a client gone) closes the model's stream, which stops generation."""
        started = time.perf_counter()
        question = self._follow_ups.standalone(query.question, history or [])
        query = replace(query, question=question, as_of=query.as_of or datetime.now(UTC))
        retrieved = self._retriever.retrieve(query)
        retrieved_at = time.perf_counter()
        answer: Answer | None = None
        fallback: str | None = None
        if self._llm is not None and retrieved.passages:
            outcome = yield from self._generate(self._llm, query, retrieved, stream)
            if isinstance(outcome, str):
                fallback = outcome
            else:
                answer = outcome
                if answer.declined:
                    yield Delta(answer.text)
        if answer is None:
            previous = _previous_answer(history or [])
            answer = replace(
                self._extractive_answer(question, retrieved, previous), reason=fallback
            )
            yield Delta(answer.text)
        answer = replace(
            answer,
            question=question,
            searched=searched(query, retrieved),
            passages=retrieved.passages,
            retrieval_ms=round((retrieved_at - started) * 1000, 1),
            answer_ms=round((time.perf_counter() - retrieved_at) * 1000, 1),
        )
        if self.on_answer is not None:
            self.on_answer(answer)
        yield Done(answer)

    def _generate(
        self, llm: LLMAnswerer, query: Query, retrieved: Retrieved, stream: bool
    ) -> Generator[Delta, None, Answer | str]:
        """The model's checked sentences as deltas; then its Answer, or why to fall back."""
        check = CitationCheck(retrieved.passages, DECLINE_TEXT)
        shown: list[str] = []
        failure: str | None = None
        as_of = query.as_of or datetime.now(UTC)
        sentences = llm.sentences(query.question, retrieved.passages, as_of, stream)
        try:
            for raw in sentences:
                checked = check.sentence(raw)
                if checked is not None:
                    before = join_sentences(shown)
                    shown.append(checked)
                    yield Delta(join_sentences(shown)[len(before) :])
        except GenerationFailed as exc:
            failure = exc.reason
        finally:
            sentences.close()
        if shown:
            text = join_sentences(shown)
            return Answer(text, check.citations(), answerer=Answerer.LLM, reason=failure)
        if check.declined and failure is None:
            return Answer(DECLINE_TEXT, declined=True, answerer=Answerer.LLM)
        return failure or "no valid citations"

    def draft(self, query: Query) -> tuple[Retrieved, Drafted]:
        """What the extractive answerer drafts for a standalone question, with what it weighed
        (``byline train calibration`` reads this, so training sees what serving does)."""
        query = replace(query, as_of=query.as_of or datetime.now(UTC))
        retrieved = self._retriever.retrieve(query)
        return retrieved, self._draft(query.question, retrieved, frozenset())

    def _draft(self, question: str, retrieved: Retrieved, previous: frozenset[str]) -> Drafted:
        # Scored against what the question asks, without the outlet and time words that only
        # chose where and when to look.
        # It reads the passages' whole articles: the sentence that answers is often in a chunk
        # beside the one retrieval found.
        articles = self._retriever.articles(retrieved.passages) if retrieved.passages else {}
        return self._extractive.answer(
            retrieved.searched,
            retrieved.passages,
            previous,
            articles=articles,
            present=retrieved.present,
            window=retrieved.window,
            outlets=retrieved.named_outlets,
            asked_as=question,
        )

    def _extractive_answer(
        self, question: str, retrieved: Retrieved, previous: frozenset[str]
    ) -> Answer:
        """The extractive answer, through the same citation check as a model's; its short
        answer, when one is shown, leads it."""
        drafted = self._draft(question, retrieved, previous)
        check = CitationCheck(drafted.passages, DECLINE_TEXT)
        shown = [checked for s in drafted.sentences if (checked := check.sentence(s))]
        if drafted.declined or not shown:
            return Answer(DECLINE_TEXT, declined=True, confidence=drafted.confidence)
        # A comparison: one outlet a line, then what they share.
        text = "\n".join(shown) + f"\n\n{drafted.note}" if drafted.note else join_sentences(shown)
        short, support = drafted.short_answer, drafted.support
        if short is not None and holds_phrase(text, short):
            text = lead_with(short, text)
        else:
            short, support = None, None
        return Answer(
            text,
            check.citations(),
            confidence=drafted.confidence,
            short_answer=short,
            support=support,
        )
