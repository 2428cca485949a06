"""The reader: a cross-encoder that reads the question and a candidate sentence together and
scores how likely the sentence answers it.

It is the packaged MiniLM with its top layers trained by ``byline train reader`` (shipped in
``rag/models/reader/`` with its card), exported once to ONNX and run on onnxruntime, so serving
never imports torch. What it reads of a candidate is :func:`pair_text`: the sentence first (a long
context is cut from its end), then its headline, outlet and date, then the sentence before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rag.answering.candidates import Candidate
from rag.answering.features import SENTENCE_FEATURES, Matrix, freshness
from rag.errors import BylineError
from rag.models.linear import Linear
from rag.models.reader_onnx import Reader
from rag.models.shipped import READER, reader_files

SHIPPED = READER
RETRAIN = "byline train reader"
BEFORE_WORDS = 12  # of the sentence before: enough to say who "he added" is


def pair_text(candidate: Candidate) -> str:
    """What the reader reads of a candidate, beside the question."""
    passage = candidate.passage
    date = (passage.published_at or "undated")[:10]
    before = " ".join(candidate.before.split()[-BEFORE_WORDS:])
    return f"{candidate.sentence} | {passage.title} ({passage.outlet}, {date}) | {before}"


# The reader's score and the cheap ranker's, combined by a logistic model fitted on the held-out
# training year: the reader alone forgets what it never sees (the article's rank, its age).
COMBINED_FEATURES = ("reader", "cheap")
CONFIDENCE_FEATURES = (
    "best",  # the best combined score
    "second",
    "best_reader",
    "best_cheap",
    "best_similarity",  # its article's similarity to the question
    "best_article_rank",
    "best_age",
    "least_age",  # the freshest shortlisted sentence's
    "best_in_window",
    "best_out_window",
    "any_in_window",
)


def combined_rows(reader: npt.NDArray[np.float64], cheap: npt.NDArray[np.float64]) -> Matrix:
    return np.column_stack([reader, cheap]).astype(np.float64)


def confidence_row(
    features: Matrix,
    combined: npt.NDArray[np.float64],
    reader: npt.NDArray[np.float64],
    cheap: npt.NDArray[np.float64],
) -> Matrix:
    """One row for the question, from its shortlisted sentences (``features`` in
    ``SENTENCE_FEATURES`` columns) and their scores."""
    if not len(combined):
        return np.array([[-10.0, -10.0, -10.0, -10.0, 0, 1, 1, 1, 0, 0, 0]])
    column = {name: features[:, i] for i, name in enumerate(SENTENCE_FEATURES)}
    order = np.argsort(-combined, kind="stable")
    best = order[0]
    second = combined[order[1]] if len(order) > 1 else combined[best]
    row = [
        combined[best],
        second,
        reader[best],
        cheap[best],
        column["similarity"][best],
        column["article_rank"][best],
        *freshness(column, best),
    ]
    return np.array([row], dtype=np.float64)


@dataclass(frozen=True)
class Judgement:
    scores: npt.NDArray[np.float64]  # per eligible sentence; -inf for those not shortlisted
    confidence: float


@dataclass(frozen=True)
class ReaderJudge:
    """The reader over the cheap ranker's shortlist, and what its scores are taken to mean."""

    reader: Reader
    combine: Linear
    confidence: Linear
    shortlist: int  # sentences the reader reads, the cheap ranker's best
    keep_within: float  # a further sentence of the same article joins within this many logits
    threshold: float  # the confidence under which to decline, chosen on the held-out year

    def judge(
        self,
        question: str,
        eligible: Sequence[Candidate],
        features: Matrix,
        cheap: npt.NDArray[np.float64],
    ) -> Judgement:
        order = np.argsort(-cheap, kind="stable")[: self.shortlist]
        read = self.reader.scores(question, [pair_text(eligible[i]) for i in order])
        combined = self.combine.logits(combined_rows(read, cheap[order]))
        scores = np.full(len(eligible), -np.inf)
        scores[order] = combined
        row = confidence_row(features[order], combined, read, cheap[order])
        return Judgement(scores, float(self.confidence.probabilities(row)[0]))


def load_judge(files: Path, base_folder: Path, onnx_file: Path, threads: int) -> ReaderJudge:
    """The shipped reader's judge; its files are checked by :func:`exported_reader` first."""
    meta = reader_files(files).meta()
    try:
        return ReaderJudge(
            Reader(base_folder, onnx_file, int(meta["max_length"]), threads),
            Linear.of(meta["combine"], COMBINED_FEATURES, "combining", RETRAIN),
            Linear.of(meta["confidence"], CONFIDENCE_FEATURES, "confidence", RETRAIN),
            int(meta["shortlist"]),
            float(meta["keep_within"]),
            float(meta["default_threshold"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BylineError(f"reader {files}: unreadable ({exc}); run `{RETRAIN}`") from exc
