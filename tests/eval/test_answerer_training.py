"""The answerer's training: folds keep a question with its shifted copy; figures count right."""

from __future__ import annotations

import numpy as np

from eval.answerer_training import Example, Outcome, figures, folds_of
from eval.questions import EvalQuestion


def example(qid: str, shifted: bool) -> Example:
    question = EvalQuestion(qid, "?", "quiz", True, answers=("x",))
    return Example(question, shifted, [], np.zeros((0, 1)), [], np.zeros(0))


def test_a_question_and_its_shifted_copy_share_a_fold() -> None:
    examples = [example(f"q{i}", shifted) for i in range(20) for shifted in (False, True)]
    fold = folds_of(examples, 5)
    assert set(fold) == set(range(5))
    for i in range(0, len(examples), 2):
        assert fold[i] == fold[i + 1]


def test_figures_at_a_threshold() -> None:
    outcomes = [
        Outcome(shifted=False, eligible=True, correct=True, confidence=0.9),
        Outcome(shifted=False, eligible=True, correct=False, confidence=0.3),
        Outcome(shifted=False, eligible=False, correct=False, confidence=0.9),  # declined outright
        Outcome(shifted=True, eligible=True, correct=False, confidence=0.2),
        Outcome(shifted=True, eligible=True, correct=False, confidence=0.8),
    ]
    f = figures(outcomes, 0.5)
    assert f.answered == 1 and f.accuracy == round(1 / 3, 4) and f.accuracy_answered == 1.0
    assert f.decline_recall == 0.5  # one of the two shifted questions declined
    assert f.decline_precision == round(1 / 3, 4)  # of three declines, one was shifted
