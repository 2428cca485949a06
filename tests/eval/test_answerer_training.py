"""The answerer's training: folds keep a question with its copy; figures count right; the
default threshold is the lowest that declines enough; calibration error is measured."""

from __future__ import annotations

from eval.training.answerer import (
    Figures,
    Outcome,
    default_threshold,
    expected_calibration_error,
    figures,
    folds_of,
)


def test_a_question_and_its_unanswerable_copy_share_a_fold() -> None:
    ids = [f"q{i}" for i in range(20) for _ in (False, True)]
    fold = folds_of(ids, 5)
    assert set(fold) == set(range(5))
    for i in range(0, len(ids), 2):
        assert fold[i] == fold[i + 1]


def test_figures_at_a_threshold() -> None:
    outcomes = [
        Outcome(shifted=False, eligible=True, correct=True, confidence=0.9, first_correct=True),
        Outcome(shifted=False, eligible=True, correct=False, confidence=0.3),
        Outcome(shifted=False, eligible=False, correct=False, confidence=0.9),  # declined outright
        Outcome(shifted=True, eligible=True, correct=False, confidence=0.2),
        Outcome(shifted=True, eligible=True, correct=False, confidence=0.8),
    ]
    f = figures(outcomes, 0.5)
    assert f.answered == 1 and f.accuracy == round(1 / 3, 4) and f.accuracy_answered == 1.0
    assert f.first_sentence_accuracy == round(1 / 3, 4)
    assert f.decline_recall == 0.5  # one of the two shifted questions declined
    assert f.decline_precision == round(1 / 3, 4)  # of three declines, one was shifted


def test_the_default_threshold_is_the_lowest_that_declines_enough() -> None:
    table = [
        Figures(t, 0.3, 10, 0.5, recall, 0.5) for t, recall in ((0.1, 0.5), (0.2, 0.8), (0.3, 0.9))
    ]
    assert default_threshold(table) == 0.2


def test_calibration_error_is_zero_when_confidence_is_the_hit_rate() -> None:
    calibrated = [Outcome(False, True, i < 3, 0.3) for i in range(10)]
    assert expected_calibration_error(calibrated) == 0.0
    overconfident = [Outcome(False, True, i < 3, 0.9) for i in range(10)]
    assert expected_calibration_error(overconfident) == 0.6
