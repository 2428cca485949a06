from __future__ import annotations

import re

import pytest

from eval.seed import load_questions
from rag.answering.citations import enforce_citations
from rag.answering.extractive import DECLINE_TEXT, ExtractiveAnswerer
from rag.domain.models import Citation, Passage
from rag.retrieval.retriever import Query, Retriever
from rag.wiring import Components


def passage(chunk_id: str) -> Passage:
    return Passage(chunk_id, "a1", "text", "Title", "Outlet", "", None, -1, rank=1)


def citation(n: int, chunk_id: str) -> Citation:
    return Citation(n, chunk_id, "a1", "Outlet", "Title", "", None, "quote")


def test_markers_pointing_nowhere_are_removed_and_the_rest_renumbered() -> None:
    text, kept = enforce_citations(
        "First [2]. Second [7]. Third [1][2]. Fourth [3].",
        [citation(1, "c1"), citation(2, "c2"), citation(3, "not-retrieved")],
        [passage("c1"), passage("c2")],
    )
    assert text == "First [1]. Second. Third [2][1]. Fourth."
    assert [(c.n, c.chunk_id) for c in kept] == [(1, "c2"), (2, "c1")]


def test_no_citations_leave_no_markers() -> None:
    text, kept = enforce_citations("Claim [1].", [], [])
    assert (text, kept) == ("Claim.", [])


def test_no_passages_decline(seeded: Components) -> None:
    drafted = ExtractiveAnswerer(3, 0.3).answer("Anything?", [])
    assert drafted.declined and drafted.text == DECLINE_TEXT and not drafted.citations


@pytest.mark.parametrize("question", [q.question for q in load_questions()])
def test_every_citation_is_a_retrieved_passage(seeded: Components, question: str) -> None:
    retrieved = Retriever(seeded.store, seeded.lexical, seeded.embedder).retrieve(
        Query(question, 3)
    )
    answerer = ExtractiveAnswerer(3, seeded.settings.min_answer_score)
    drafted = answerer.answer(question, retrieved.passages)
    ids = {p.chunk_id for p in retrieved.passages}
    assert {c.chunk_id for c in drafted.citations} <= ids
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", drafted.text)}
    assert markers == {c.n for c in drafted.citations}
    # The answerer's own output passes the shared check unchanged.
    assert enforce_citations(drafted.text, drafted.citations, retrieved.passages) == (
        drafted.text,
        drafted.citations,
    )
