from __future__ import annotations

from dataclasses import replace

import pytest

from eval.questions import seed_questions
from rag.answering.citations import markers_in
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.grounding import DECLINE_TEXT, CitationCheck, join_sentences
from rag.domain.models import Passage
from rag.retrieval.retriever import Query, Retriever
from rag.wiring import Components


def passage(chunk_id: str, text: str) -> Passage:
    return Passage(chunk_id, "a1", text, "Title", "Outlet", "", None, -1, rank=1)


def test_markers_pointing_nowhere_are_removed_and_the_rest_renumbered() -> None:
    check = CitationCheck(
        [passage("c1", "The first claim holds. The third claim holds."),
         passage("c2", "The second claim holds. The third claim holds.")],
        DECLINE_TEXT,
    )  # fmt: skip
    checked = [
        check.sentence(s)
        for s in (
            "The second claim holds [2].",
            "The first claim holds [7].",
            "The third claim holds [1][2][3].",
        )
    ]
    assert checked == [
        "The second claim holds [1].",
        None,  # a sentence left without a citation is dropped
        "The third claim holds [2][1].",
    ]
    assert [(c.n, c.chunk_id) for c in check.citations()] == [(1, "c2"), (2, "c1")]


def close(chunk_id: str, text: str, similarity: float) -> Passage:
    return replace(passage(chunk_id, text), dense_score=similarity)


def test_a_question_for_a_number_or_a_date_is_declined_where_none_is_given() -> None:
    storm = [
        close("c1", "The storm hit the coast and many people died in the floods.", 0.8),
        close("c2", "Rescue teams searched the flooded villages along the coast.", 0.7),
    ]
    answerer = ExtractiveAnswerer(3, 0.3)
    assert answerer.answer("How many people died in the floods?", storm).declined
    assert answerer.answer("When did the storm hit the coast?", storm).declined
    counted = [*storm, close("c3", "Officials said 42 people died in the floods.", 0.5)]
    drafted = answerer.answer("How many people died in the floods?", counted)
    assert not drafted.declined and "42" in drafted.sentences[0]  # what is asked comes first


def test_no_passages_decline(seeded: Components) -> None:
    drafted = ExtractiveAnswerer(3, 0.3).answer("Anything?", [])
    assert drafted.declined and not drafted.sentences


@pytest.mark.parametrize("question", [q.question for q in seed_questions()])
def test_every_citation_is_a_retrieved_passage(seeded: Components, question: str) -> None:
    retrieved = Retriever(seeded.store, seeded.lexical, seeded.embedder).retrieve(
        Query(question, 3)
    )
    answerer = ExtractiveAnswerer(3, seeded.settings.answering.min_answer_score)
    drafted = answerer.answer(question, retrieved.passages)
    check = CitationCheck(retrieved.passages, DECLINE_TEXT)
    checked = [check.sentence(s) for s in drafted.sentences]
    # The answerer's own sentences all pass the shared check, each still cited.
    assert None not in checked
    citations = check.citations()
    ids = {p.chunk_id for p in retrieved.passages}
    assert {c.chunk_id for c in citations} <= ids
    text = join_sentences([c for c in checked if c])
    assert set(markers_in(text)) == {c.n for c in citations}
    for citation in citations:  # every quote is the passage's own words
        source = next(p for p in retrieved.passages if p.chunk_id == citation.chunk_id)
        for quote in citation.quote.split(" … "):
            assert " ".join(quote.split()) in " ".join(source.text.split())
