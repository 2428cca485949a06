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
    # Measured 1.000 / 0.920 / 1.000 (`byline eval --corpus examples/articles`); floors leave room.
    assert report.phrase_hit_rate >= 0.9
    assert report.cited_outlet_precision >= 0.85
    assert report.decline_accuracy >= 0.9
