from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eval.questions import seed_questions
from rag.answering.candidates import read_sentences
from rag.answering.citations import markers_in
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.grounding import DECLINE_TEXT, CitationCheck, join_sentences
from rag.answering.selection import WEIGHTS, SelectionModel
from rag.domain.models import ArticleChunk, Passage
from rag.errors import BylineError
from rag.retrieval.retriever import Query, Retriever
from rag.settings import Settings
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


NOW = datetime(2024, 10, 18, tzinfo=UTC)


def close(chunk_id: str, text: str, similarity: float, article: str = "a1") -> Passage:
    """A passage of yesterday's news, this close to the question."""
    published = int((NOW - timedelta(days=1)).timestamp())
    return replace(
        passage(chunk_id, text), article_id=article, published_ts=published, dense_score=similarity
    )


def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(3, Settings(reader="off").answering.min_answer_confidence)


def test_a_question_for_a_number_or_a_date_is_declined_where_none_is_given() -> None:
    storm = [
        close("c1", "The storm hit the coast and many people died in the floods.", 0.8),
        close("c2", "Rescue teams searched the flooded villages along the coast.", 0.7, "a2"),
    ]
    assert answerer().answer("How many people died in the floods?", storm, present=NOW).declined
    assert answerer().answer("When did the storm hit the coast?", storm, present=NOW).declined
    counted = [*storm, close("c3", "Officials said 42 people died in the floods.", 0.6, "a3")]
    drafted = answerer().answer("How many people died in the floods?", counted, present=NOW)
    assert not drafted.declined and "42" in drafted.sentences[0]  # what is asked comes first


def test_who_where_and_which_company_need_a_name_the_question_did_not_give() -> None:
    nameless = [
        close("c1", "The new chief of the alliance met the defence ministers on Thursday.", 0.8),
        close(
            "c2", "The ministers of the alliance discussed the chief's priorities at length.", 0.7
        ),
    ]
    question = "Who is the new chief of the alliance?"
    assert answerer().answer(question, nameless, present=NOW).declined
    named = [close("c3", "Mark Rutte became the new chief of the alliance this month.", 0.75)]
    drafted = answerer().answer(question, [*nameless, *named], present=NOW)
    assert not drafted.declined and "Mark Rutte" in drafted.sentences[0]


def test_what_did_x_say_is_answered_only_by_an_account_attributed_to_x() -> None:
    about_putin = [
        close("c1", "Some officials believe Putin has suffered setbacks over the peace plan.", 0.8),
        close("c2", "Zelensky said the peace plan would end the war on Ukraine's terms.", 0.7),
    ]
    question = "What did Putin say about the peace plan?"
    assert answerer().answer(question, about_putin, present=NOW).declined
    said = close("c3", "Putin told reporters the peace plan was a provocation.", 0.7, "a2")
    drafted = answerer().answer(question, [*about_putin, said], present=NOW)
    assert not drafted.declined
    assert all("Putin" in s for s in drafted.sentences)
    assert "provocation" in drafted.sentences[0]


def test_the_answer_may_come_from_the_rest_of_a_found_article() -> None:
    found = close("c1", "The ministers met in Brussels to discuss the aid for Ukraine.", 0.8)
    rest = close("c2", "The alliance promised Ukraine 40 billion euros of military aid.", 0.0)
    drafted = answerer().answer(
        "How much military aid did the alliance promise Ukraine?",
        [found],
        articles={"a1": [ArticleChunk(p, read_sentences(p.text)) for p in (found, rest)]},
        present=NOW,
    )
    assert not drafted.declined and "40 billion" in drafted.sentences[0]
    # The chunk read beside the found one is cited as the passage list's next entry.
    assert drafted.passages == [found, rest] and drafted.sentences[0].endswith("[2]")


def test_weights_learned_on_other_features_are_refused(tmp_path: Path) -> None:
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    shipped["sentence"]["features"] = shipped["sentence"]["features"][:-1]
    changed = tmp_path / "selection.json"
    changed.write_text(json.dumps(shipped), encoding="utf-8")
    with pytest.raises(BylineError, match="byline train answerer"):
        SelectionModel.load(changed)


def test_no_passages_decline() -> None:
    drafted = answerer().answer("Anything?", [])
    assert drafted.declined and not drafted.sentences


@pytest.mark.parametrize("question", [q.question for q in seed_questions()])
def test_every_citation_is_a_retrieved_passage(seeded: Components, question: str) -> None:
    retrieved = Retriever(seeded.store, seeded.lexical, seeded.embedder).retrieve(
        Query(question, 3)
    )
    drafted = answerer().answer(question, retrieved.passages)
    check = CitationCheck(drafted.passages, DECLINE_TEXT)
    checked = [check.sentence(s) for s in drafted.sentences]
    # The answerer's own sentences all pass the shared check, each still cited.
    assert None not in checked
    citations = check.citations()
    ids = {p.chunk_id for p in drafted.passages}
    assert {c.chunk_id for c in citations} <= ids
    text = join_sentences([c for c in checked if c])
    assert set(markers_in(text)) == {c.n for c in citations}
    for citation in citations:  # every quote is the passage's own words
        source = next(p for p in drafted.passages if p.chunk_id == citation.chunk_id)
        for quote in citation.quote.split(" … "):
            assert " ".join(quote.split()) in " ".join(source.text.split())
