"""``byline train calibration`` end to end on a small training set in RealTime QA's shape: each
question asked through the service over a store the real ``byline ingest`` built (names read at
ingest), as of its date and 14 days earlier; the evidence model and the confidence fitted on the
training year and chosen on the held-out one's choosing half."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.training.calibration import SHIFT_DAYS, THRESHOLDS
from rag.answering.calibration import load_calibration
from rag.answering.evidence import CANDIDATE_FEATURES, load_evidence
from rag.cli import main
from tests.eval.test_leakage import ARTICLES, judged_year, records, train_args


def _train(tmp_path: Path, store: Path, out: Path) -> int:
    args = train_args("calibration", tmp_path / "work", store, out, tmp_path / "judged")
    return main([*args, "--evidence-out", str(out.with_suffix(".evidence.json"))])


def test_the_calibration_trains_on_other_years_and_is_chosen_on_the_held_out_one(
    tmp_path: Path, store: Path
) -> None:
    out = tmp_path / "calibration.json"
    assert _train(tmp_path, store, out) == 0
    calibration = load_calibration(out)
    about = calibration.about
    assert about["trained_on_years"] == [2024] and about["held_out_year"] == 2025
    assert about["choosing_questions"] > 0 and about["reporting_questions"] > 0
    assert about["time_shift_days"] == SHIFT_DAYS
    mix = about["train_mix"]
    # Every question was asked, and asked again early, as of a time before its news.
    assert mix["questions"] == mix["early_copies"] > 0
    assert mix["drafted_right"] > 0  # the store answers some of them
    assert mix["early_drafted"] < mix["early_copies"]  # and early, the news is not there
    assert [p["threshold"] for p in about["curve"]] == list(THRESHOLDS)
    assert calibration.threshold in THRESHOLDS
    # Seeded: a second run from a fresh work folder writes the same models.
    again = tmp_path / "again.json"
    assert _train(tmp_path / "second", store, again) == 0
    second = load_calibration(again)
    assert second.confidence.weights.tolist() == calibration.confidence.weights.tolist()
    evidence, evidence_again = (
        load_evidence(p.with_suffix(".evidence.json")) for p in (out, again)
    )
    assert evidence.scorer.features == CANDIDATE_FEATURES
    assert evidence.scorer.weights.tolist() == evidence_again.scorer.weights.tolist()
    assert evidence.about["training_questions_weighed"] > 0  # candidates were read and weighed
    assert (out.parent / "MODEL_CARD.md").is_file()


def test_a_store_holding_a_judged_years_article_is_refused(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gate covers the stores a job asks over, not only its questions."""
    args = train_args("calibration", tmp_path / "work", store, tmp_path / "c.json", tmp_path / "j")
    judged_year(tmp_path / "j", [records(ARTICLES)[0]], [])  # a store article, now "judged"
    assert main(args) == 2
    assert "articles of the judged year" in capsys.readouterr().err
