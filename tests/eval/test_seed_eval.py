from __future__ import annotations

from eval.questions import seed_questions
from eval.seed import run_seed_eval
from rag.wiring import Components


def test_the_seed_set_has_enough_answerable_and_unanswerable_questions() -> None:
    questions = seed_questions()
    assert sum(q.answerable for q in questions) >= 20
    assert sum(not q.answerable for q in questions) >= 5
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert bool(q.answers) == q.answerable == bool(q.expected_outlets)


def test_seed_eval_meets_its_floors(seeded: Components) -> None:
    report = run_seed_eval(seeded.ask_service(), seed_questions(), seeded.settings.retrieval.top_k)
    # 82 questions: answerable ones with every class of issue 16 (outlet named, full dates,
    # attribution, answer kinds, follow-ups) and unanswerable ones ("how many", "what did X
    # say"). Measured with the reader 0.918 / 0.918 / 0.942 / 0.988 (`byline eval --corpus
    # examples/articles`); further sentences only from the answer's own article lifted cited-
    # outlet precision from 0.759, the answerer fitted on other years lowered the hits from 0.984.
    assert report.questions >= 80
    assert report.phrase_hit_rate >= 0.9
    assert report.right_outlet_rate >= 0.9
    assert report.cited_outlet_precision >= 0.9
    assert report.decline_accuracy >= 0.95
