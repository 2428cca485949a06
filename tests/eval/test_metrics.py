"""Each eval metric on small hand-made cases with known answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from eval import metrics
from eval.metrics import first_rank
from eval.questions import EvalQuestion, time_shifted
from eval.runs import score_question, totals
from rag.domain.models import Answer, Citation, Passage


def passage(text: str, rank: int = 1, title: str = "T", outlet: str = "CNN") -> Passage:
    return Passage(f"c{rank}", "a", text, title, outlet, "", None, -1, rank=rank)


def citation(n: int, quote: str, outlet: str = "CNN") -> Citation:
    return Citation(n, f"c{n}", "a", outlet, "T", "", None, quote)


CHOICE = EvalQuestion(
    "q",
    "Which country?",
    "CNN",
    True,
    answers=("Brazil",),
    choices=("Brazil", "Argentina", "France", "United States"),
)


def test_first_rank_matches_whole_words_only() -> None:
    texts = ["Brazilian fans", "crowds in Santos, Brazil", "Brazil again"]
    assert first_rank(texts, ("Brazil",)) == 2
    assert first_rank([], ("Brazil",)) is None  # empty retrieval
    assert first_rank(["São Paulo, Brasil"], ("São Paulo",)) == 1  # unicode


def test_hits_and_map_at_10() -> None:
    relevant = [False, True, False, True] + [False] * 6
    assert metrics.hits_at(relevant, 1) == 0.0 and metrics.hits_at(relevant, 4) == 1.0
    assert metrics.average_precision_at_10(relevant, 2) == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert metrics.average_precision_at_10(relevant, 4) == pytest.approx((1 / 2 + 2 / 4) / 4)
    assert metrics.average_precision_at_10([], 3) == 0.0
    facts = ("Apple sued the firm in May.",)
    assert metrics.evidence_relevance(["x. Apple sued the firm in May! y", "z"], facts) == [
        True,
        False,
    ]


def test_accuracy_wants_the_gold_choice_and_no_other() -> None:
    assert metrics.answer_correct("Crowds in Brazil mourned.", False, CHOICE)
    assert not metrics.answer_correct("Brazil and Argentina mourned.", False, CHOICE)
    assert not metrics.answer_correct("Brazil mourned.", True, CHOICE)  # declined
    seed = EvalQuestion(
        "s", "?", "answerable", True, answers=("€40 billion", "Rutte"), all_answers=True
    )
    assert metrics.answer_correct("Rutte confirmed €40 billion.", False, seed)
    assert not metrics.answer_correct("Rutte confirmed it.", False, seed)
    unicode = EvalQuestion("u", "?", "inference", True, answers=("Zelenskyy’s plan",))
    assert metrics.answer_correct("He backed ZELENSKYY’S PLAN.", False, unicode)
    assert not metrics.answer_correct("He backed Zelenskyy.", False, unicode)


def test_citation_precision_and_recall() -> None:
    quotes = {1: "NATO will meet its €40 billion aid goal.", 2: "Rutte met ministers."}
    answer = "NATO will meet its €40 billion goal [1][2]. Nobody objected. Rutte met them [2][2]."
    precision, recall = metrics.citation_scores(answer, quotes)
    # pairs: (s1, 1) yes, (s1, 2) no, (s3, 2) yes (a duplicate marker counts once)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)  # "Nobody objected." has no citation
    assert metrics.citation_scores("No markers here.", {}) == (None, 0.0)
    assert metrics.citation_scores("", {}) == (None, None)
    assert metrics.citation_scores("Points at nothing [7].", quotes) == (0.0, 0.0)


def test_outlet_attribution() -> None:
    assert metrics.outlet_attribution(["CNN", "BBC", "cnn"], ("CNN",)) == pytest.approx(2 / 3)
    assert metrics.outlet_attribution([], ("CNN",)) is None
    assert metrics.outlet_attribution(["CNN"], ()) is None


def test_a_scored_row_and_the_totals() -> None:
    passages = [passage("Santos, Brazil, mourned Pelé.", 1), passage("France", 2)]
    answer = Answer(
        "Crowds in Brazil mourned Pelé [1].",
        [citation(1, passages[0].text)],
        question="Which country?",
        retrieval_ms=10,
        answer_ms=30,
    )
    row = score_question(CHOICE, answer, passages)
    scores = row["scores"]
    assert scores["rank"] == 1 and scores["recall@1"] == 1.0 and scores["mrr"] == 1.0
    assert scores["accuracy"] == 1.0 and scores["citation_precision"] == 1.0
    assert scores["decline_accuracy"] == 1.0 and scores["latency_ms"] == 40.0
    assert row["passages"][0]["holds_gold"] and not row["passages"][1]["holds_gold"]
    declined = Answer("Not found.", declined=True)
    unanswerable = EvalQuestion("u", "?", "unanswerable", False)
    row2 = score_question(unanswerable, declined, [])
    assert row2["scores"]["decline_accuracy"] == 1.0 and "accuracy" not in row2["scores"]
    assert "citation_precision" not in row2["scores"]
    total = totals([row, row2])
    assert total["accuracy"] == 1.0 and total["decline_accuracy"] == 1.0
    assert total["hits@10"] is None and total["questions"] == 2


def test_time_shifted_questions_are_unanswerable_copies_asked_earlier() -> None:
    dated = replace(CHOICE, as_of=date(2023, 1, 5))
    (shifted,) = time_shifted([dated, replace(CHOICE, id="undated")], 14)
    assert shifted.id == "q@-14d" and shifted.as_of == date(2022, 12, 22)
    assert not shifted.answerable and shifted.answers == () and shifted.choices == ()
    assert shifted.kind == "time-shifted"


def test_decline_recall_and_precision() -> None:
    unanswerable = EvalQuestion("u", "?", "time-shifted", False)
    declined, answered = Answer("Not found.", declined=True), Answer("Brazil [1].")
    rows = [
        score_question(unanswerable, declined, []),  # declined and unanswerable
        score_question(replace(unanswerable, id="u2"), answered, []),  # answered, unanswerable
        score_question(CHOICE, declined, []),  # declined, though answerable
    ]
    total = totals(rows)
    assert total["decline_recall"] == 0.5  # one of the two unanswerable declined
    assert total["decline_precision"] == 0.5  # one of the two declines unanswerable
