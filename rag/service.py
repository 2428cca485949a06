"""The ask service: retrieve, answer, enforce citations, time each step."""

from __future__ import annotations

import time

from rag.citations import enforce_citations
from rag.extractive import DECLINE_TEXT, ExtractiveAnswerer
from rag.models import Answer
from rag.retrieve import Query, Retriever


class AskService:
    def __init__(self, retriever: Retriever, answerer: ExtractiveAnswerer) -> None:
        self._retriever = retriever
        self._answerer = answerer

    def ask(self, query: Query) -> Answer:
        started = time.perf_counter()
        retrieved = self._retriever.retrieve(query)
        retrieved_at = time.perf_counter()
        drafted = self._answerer.answer(
            query.question, retrieved.question_vector, retrieved.passages
        )
        text, citations = enforce_citations(drafted.text, drafted.citations, retrieved.passages)
        declined = drafted.declined or not citations
        finished = time.perf_counter()
        return Answer(
            text=DECLINE_TEXT if declined else text,
            citations=[] if declined else citations,
            declined=declined,
            retrieval_ms=round((retrieved_at - started) * 1000, 1),
            answer_ms=round((finished - retrieved_at) * 1000, 1),
        )
