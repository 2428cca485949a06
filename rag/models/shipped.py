"""Where the models Byline trains ship (package data beside this file), and what a user can do
when one is missing or does not match its description."""

from __future__ import annotations

from pathlib import Path

from rag.models.files import ModelFiles

HERE = Path(__file__).resolve().parent
READER = HERE / "reader"
CALIBRATION = HERE / "calibration" / "calibration.json"
EVIDENCE = HERE / "evidence" / "evidence.json"


def reader_files(folder: Path | None = None) -> ModelFiles:
    remedy = "retrain with `byline train reader`, or set BYLINE_READER=off"
    return ModelFiles(folder or READER, "reader", remedy)
