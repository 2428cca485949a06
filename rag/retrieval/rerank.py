"""The learned re-ranking of the fused candidates (``BYLINE_RERANK``).

Fusion weighs each retriever's rank by hand-set weights; the re-ranker instead weighs what is
known of every candidate, a logistic model fitted on the training years (``byline train
reranker``): both rankers' scores and ranks, how much of the question the passage's words cover,
its age and the window the question names, how much of its article the candidates hold, and
whether it holds names or numbers the question asks for. Asked to (``rerank_articles``), it also
reads every passage of the best few articles: on the held-out year, 38 % of the questions whose
gold no retriever found had it in an article some candidate came from. Nothing here runs a
neural model, so it costs milliseconds.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rag.adapters.lexical import ChunkFacts
from rag.adapters.store import UNDATED
from rag.domain.text import content_terms
from rag.domain.timeparse import Window

DAY = 86400
RANK_SCALE = 10.0  # a rank's feature: RANK_SCALE / (RANK_SCALE + rank), 0 when not ranked

RERANK_FEATURES = (
    "dense_similarity",
    "dense_gap",
    "dense_rank",
    "lexical_share",
    "lexical_rank",
    "fused_share",
    "coverage",
    "headline_coverage",
    "fresh",
    "undated",
    "in_window",
    "named_outlet",
    "article_support",
    "article_best",
    "lead",
    "expanded",
    "novel_names",
    "numbers",
    "number_asked",
)
# Answers to news questions are mostly names and numbers: a passage that holds names the
# question does not, or a number where one is asked, is likelier to hold the answer.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|far)\b|\bwhat (?:percent|percentage|share|number|year)\b",
    re.IGNORECASE,
)


class PassageScorer(Protocol):
    """The fitted model (``rag.models.reranker``): a score per row of features."""

    def logits(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...


@dataclass(frozen=True)
class Candidates:
    """What the first stage knows of one question's candidates."""

    question: str  # as searched: outlet and time phrases taken out
    dense: dict[str, float]  # chunk id -> cosine similarity, for every chunk of the pool
    dense_order: list[str]  # the vector candidates, nearest first
    lexical: dict[str, float]  # chunk id -> BM25, for every chunk of the pool
    lexical_order: list[str]  # the word candidates, best first
    fused: dict[str, float]  # chunk id -> fused score with the priors (the candidates only)
    facts: dict[str, tuple[int, str]]  # chunk id -> (published_ts, outlet key)
    chunks: dict[str, ChunkFacts]  # every chunk of the pool
    as_of: int
    window: Window | None
    named_outlets: frozenset[str]
    recency_scale_days: float


def pool_articles(fused: dict[str, float], chunk_article: dict[str, str], most: int) -> list[str]:
    """The ``most`` articles whose best candidate fusion ranks highest: those read whole."""
    best: dict[str, float] = {}
    for chunk_id, score in fused.items():
        article = chunk_article.get(chunk_id)
        if article is not None and score > best.get(article, -math.inf):
            best[article] = score
    return sorted(best, key=lambda a: -best[a])[:most]


def features(pool: Candidates) -> tuple[list[str], npt.NDArray[np.float64]]:
    """The pool's chunk ids and one row of ``RERANK_FEATURES`` each."""
    ids = sorted(pool.chunks)
    asked = set(content_terms(pool.question))
    dense_rank = {c: i for i, c in enumerate(pool.dense_order, start=1)}
    lexical_rank = {c: i for i, c in enumerate(pool.lexical_order, start=1)}
    top_dense = max(pool.dense.values(), default=0.0)
    top_lexical = max(pool.lexical.values(), default=0.0) or 1.0
    top_fused = max(pool.fused.values(), default=0.0) or 1.0
    per_article: dict[str, int] = defaultdict(int)
    article_best: dict[str, float] = defaultdict(float)
    for chunk_id, score in pool.fused.items():
        if (chunk := pool.chunks.get(chunk_id)) is not None:
            per_article[chunk.article_id] += 1
            article_best[chunk.article_id] = max(article_best[chunk.article_id], score)
    headlines = {c.article_id: c.headline for c in pool.chunks.values()}
    headline_terms = {a: set(content_terms(h)) for a, h in headlines.items()}
    asked_words = {w.casefold() for w in re.findall(r"[\w'’-]+", pool.question)}
    asks_number = bool(_ASKS_NUMBER.search(pool.question))
    rows = np.zeros((len(ids), len(RERANK_FEATURES)), dtype=np.float64)
    for i, chunk_id in enumerate(ids):
        chunk = pool.chunks[chunk_id]
        published, outlet_key = pool.facts.get(chunk_id, (UNDATED, ""))
        similarity = pool.dense.get(chunk_id, 0.0)
        age_days = max(0.0, (pool.as_of - published) / DAY)
        headline = headline_terms[chunk.article_id]
        rows[i] = (
            similarity,
            similarity - top_dense,
            _rank(dense_rank.get(chunk_id)),
            pool.lexical.get(chunk_id, 0.0) / top_lexical,
            _rank(lexical_rank.get(chunk_id)),
            pool.fused.get(chunk_id, 0.0) / top_fused,
            len(asked & chunk.terms) / max(1, len(asked)),
            len(asked & headline) / max(1, len(asked)),
            0.0 if published == UNDATED else math.exp(-age_days / pool.recency_scale_days),
            float(published == UNDATED),
            float(bool(pool.window and pool.window.holds(published))),
            float(outlet_key in pool.named_outlets),
            math.log1p(per_article[chunk.article_id]),
            article_best[chunk.article_id] / top_fused,
            float(chunk.chunk_index == 0),
            float(chunk_id not in pool.fused),
            *_answer_cues(chunk.text, asked_words, asks_number),
        )
    return ids, rows


def _answer_cues(text: str, asked: set[str], asks_number: bool) -> tuple[float, float, float]:
    names = {m.casefold() for m in _NAME.findall(text)} - asked
    numbers = len(_NUMBER.findall(text))
    return math.log1p(len(names)), math.log1p(numbers), float(asks_number and numbers > 0)


def _rank(rank: int | None) -> float:
    return 0.0 if rank is None else RANK_SCALE / (RANK_SCALE + rank)


def reranked(pool: Candidates, scorer: PassageScorer) -> dict[str, float]:
    """Chunk id -> the re-ranker's probability that the passage holds the answer."""
    ids, rows = features(pool)
    if not ids:
        return {}
    probabilities = 1 / (1 + np.exp(-scorer.logits(rows)))
    return dict(zip(ids, (float(p) for p in probabilities), strict=True))
