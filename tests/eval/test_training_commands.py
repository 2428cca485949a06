"""``byline train answerer`` and ``byline train reader`` end to end on a small training set in
RealTime QA's shape (two years: one to train on, one held out), with the real model: weights
written and checked by hash, the run deterministic for a seed, and resumable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from eval.training import reader_job
from eval.training.pool import load_pools
from rag.adapters.embedder import default_model_path
from rag.cli import main
from rag.errors import BylineError
from rag.models.files import check_files, sha256_of
from rag.models.shipped import reader_files
from tests.eval.test_leakage import UNRELATED, judged_year

DATA = Path(__file__).parent / "data"


def _train(kind: str, work: Path, out: Path, *extra: str, judged: list[Any] = ()) -> int:
    """``judged``: the judged year's articles (default: one that shares nothing with these)."""
    gate = work.parent / f"{work.name}-judged"
    judged_year(gate, list(judged) or [UNRELATED], [])
    return main(
        [
            "train",
            kind,
            "--questions",
            str(DATA / "questions.jsonl"),
            "--articles",
            str(DATA / "articles.jsonl.gz"),
            "--work",
            str(work),
            "--out",
            str(out),
            "--judged-corpus",
            str(gate / "corpus.jsonl.gz"),
            "--judged-questions",
            str(gate / "questions.jsonl"),
            *extra,
        ]
    )


def test_the_answerers_pools_never_hold_a_judged_years_article(tmp_path: Path) -> None:
    """The gate every training job shares: an article of the judged year, planted among the
    training articles, is in no pool."""
    with gzip.open(DATA / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        planted = json.loads(handle.readline())
    work = tmp_path / "work"
    assert _train("answerer", work, tmp_path / "selection.json", judged=[planted]) == 0
    pools = load_pools(work / "pools.pkl")
    assert pools
    assert any(c.passage.url for p in pools for c in p.found)
    assert all(c.passage.url != planted["url"] for p in pools for c in p.found)


def test_the_answerer_trains_on_the_training_years(tmp_path: Path) -> None:
    out = tmp_path / "selection.json"
    assert _train("answerer", tmp_path / "work", out) == 0
    about = json.loads(out.read_text())["about"]
    assert about["trained_on"] == [2024] and about["held_out_year"] == 2025
    assert 0.0 <= about["default_threshold"] <= 1.0
    assert (tmp_path / "work" / "pools.pkl").is_file()


def test_the_reader_trains_deterministically(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert _train("reader", tmp_path / "w1", first, "--epochs", "1") == 0
    assert _train("reader", tmp_path / "w2", second, "--epochs", "1") == 0
    assert sha256_of(first / "reader.safetensors") == sha256_of(second / "reader.safetensors")
    meta = reader_files(first).meta()
    check_files(reader_files(first), default_model_path(), meta)
    assert meta["training"]["trained_on_years"] == [2024]
    assert (first / "MODEL_CARD.md").read_text().count("Licence") == 1


def test_an_interrupted_reader_run_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole"
    assert _train("reader", tmp_path / "w1", whole, "--epochs", "2") == 0

    def crash_after_the_first_epoch(message: str) -> None:
        if message.startswith("epoch 1:"):
            raise KeyboardInterrupt

    monkeypatch.setattr(reader_job, "_log", crash_after_the_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        _train("reader", tmp_path / "w2", tmp_path / "never", "--epochs", "2")
    monkeypatch.undo()
    capsys.readouterr()
    resumed = tmp_path / "resumed"
    assert _train("reader", tmp_path / "w2", resumed, "--epochs", "2") == 0
    assert "resumed after epoch 1" in capsys.readouterr().err
    assert sha256_of(resumed / "reader.safetensors") == sha256_of(whole / "reader.safetensors")


def test_a_reader_whose_weights_changed_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "reader"
    assert _train("reader", tmp_path / "work", out, "--epochs", "1") == 0
    with (out / "reader.safetensors").open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x00")
    with pytest.raises(BylineError, match="does not match"):
        check_files(reader_files(out), default_model_path(), reader_files(out).meta())
