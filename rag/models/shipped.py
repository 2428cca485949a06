"""Where the models Byline trains ship (package data beside this file), and what a user can do
when one is missing or does not match its description."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.errors import BylineError
from rag.models.files import ModelFiles
from rag.models.linear import Linear

HERE = Path(__file__).resolve().parent
READER = HERE / "reader"
QUERY_ENCODER = HERE / "query_encoder"
RERANKER = HERE / "reranker" / "reranker.json"
CALIBRATION = HERE / "calibration" / "calibration.json"


def reader_files(folder: Path | None = None) -> ModelFiles:
    remedy = "retrain with `byline train reader`, or set BYLINE_READER=off"
    return ModelFiles(folder or READER, "reader", remedy)


def query_encoder_files(folder: Path | None = None) -> ModelFiles:
    remedy = "retrain with `byline train retriever`, or set BYLINE_QUERY_MODEL=base"
    return ModelFiles(folder or QUERY_ENCODER, "query_encoder", remedy)


def load_reranker(
    expected: tuple[str, ...], path: Path = RERANKER
) -> tuple[Linear, dict[str, Any]]:
    """The passage re-ranker (a logistic model over ``expected`` features) and how it was
    learned; a missing or unreadable file, or other features, is an error that says the remedy."""
    remedy = "retrain with `byline train reranker`, or set BYLINE_RERANK=off"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = Linear.of(data["model"], expected, "re-ranker", "byline train reranker")
        return model, dict(data.get("about", {}))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BylineError(f"re-ranker {path}: unreadable ({exc}); {remedy}") from exc


def save_reranker(model: Linear, about: dict[str, Any], path: Path = RERANKER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"model": model.as_json(), "about": about}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
