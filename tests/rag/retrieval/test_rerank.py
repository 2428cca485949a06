"""The learned re-ranking of the fused candidates, on the real model, Chroma and BM25 index over
the sample articles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from rag.adapters.embedder import Embedder
from rag.errors import BylineError
from rag.models.linear import Linear
from rag.models.shipped import load_reranker
from rag.retrieval.rerank import RERANK_FEATURES, features
from rag.retrieval.retriever import Query, Retriever
from rag.settings import Settings, Tuning
from rag.wiring import Components
from tests.conftest import components_at

QUESTION = "How many harbor cranes did the Valmora port authority order?"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
# A long story (several passages, one about the cranes) and a short one that is not about them.
PARAGRAPHS = [
    "The Valmora port authority ordered twelve new harbor cranes on Monday.",
    *(
        f"Dockworkers on shift {n} described the long strike, the picket lines by the gates"
        f" and the families who brought food to the quay every evening for {n} weeks."
        for n in range(1, 40)
    ),
]
ARTICLES = [
    {
        "title": "Valmora port after the strike",
        "body": "\n\n".join(PARAGRAPHS),
        "outlet": "Example Wire",
        "url": "https://example.org/valmora-port",
        "published_at": "2024-03-04",
    },
    {
        "title": "Valmora bakery wins a prize",
        "body": "A bakery in Valmora won a regional bread prize on Sunday.",
        "outlet": "Example Wire",
        "url": "https://example.org/valmora-bakery",
        "published_at": "2024-03-03",
    },
]


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Components:
    root = tmp_path_factory.mktemp("rerank")
    export = root / "articles.jsonl"
    export.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    components = components_at(root / "data", embedder)
    assert components.ingestor().ingest_paths([export]).new == len(ARTICLES)
    return components


def _only(feature: str) -> Linear:
    weights = np.array([5.0 if name == feature else 0.0 for name in RERANK_FEATURES])
    return Linear(RERANK_FEATURES, weights, 0.0)


def test_the_reranker_reads_the_best_article_whole_and_orders_by_its_model(
    port: Components,
) -> None:
    tuning = Tuning(candidates=1, rerank_articles=1)
    fused_only = Retriever(port.store, port.lexical, port.embedder, tuning)
    reranking = Retriever(port.store, port.lexical, port.embedder, tuning, _only("coverage"))
    query = Query.bounded(QUESTION, 3)
    candidates = fused_only.ranking(query, NOW).order
    pool = reranking.rerank_pool(query, NOW)
    # One candidate from each retriever, and every passage of the best one's article.
    best = pool.chunks[candidates[0]].article_id
    whole = {c.chunk_id for c in port.lexical.chunk_facts(article_ids=[best])}
    assert len(candidates) <= 2 < len(whole)
    assert set(pool.chunks) == whole | set(candidates)

    ids, rows = features(pool)
    assert rows.shape == (len(ids), len(RERANK_FEATURES))
    expanded = rows[:, RERANK_FEATURES.index("expanded")]
    assert {c for c, e in zip(ids, expanded, strict=True) if e} == set(ids) - set(candidates)
    coverage = dict(zip(ids, rows[:, RERANK_FEATURES.index("coverage")], strict=True))
    assert all(0.0 <= v <= 1.0 for v in coverage.values())

    ranking = reranking.ranking(query, NOW)
    assert set(ranking.order) == set(ids)
    assert [coverage[c] for c in ranking.order] == sorted(coverage.values(), reverse=True)
    assert all(0.0 < ranking.scores[c] < 1.0 for c in ranking.order)
    # What a user sees follows the re-ranked order too, within the per-article cap.
    top = reranking.retrieve(query).passages
    assert top[0].chunk_id == ranking.order[0] and top[0].score == ranking.scores[top[0].chunk_id]


def test_the_shipped_reranker_is_what_the_code_computes(seeded: Components) -> None:
    model, about = load_reranker(RERANK_FEATURES)
    assert model.features == RERANK_FEATURES
    assert about["held_out"]["year"] not in about["trained_on_years"]
    served = Components.of(
        seeded.settings.updated(rerank="on"), seeded.embedder, store=seeded.store
    )
    assert served.reranker is not None
    assert served.retriever().retrieve(Query.bounded(QUESTION, 3)).passages


def test_a_reranker_of_other_features_stops_start_up(tmp_path: Path) -> None:
    stale = tmp_path / "reranker.json"
    model = {"features": ["dense_similarity"], "weights": [1.0], "bias": 0.0}
    stale.write_text(json.dumps({"model": model, "about": {}}), encoding="utf-8")
    with pytest.raises(BylineError, match="byline train reranker"):
        load_reranker(RERANK_FEATURES, stale)
    with pytest.raises(BylineError, match="BYLINE_RERANK=off"):
        load_reranker(RERANK_FEATURES, tmp_path / "missing.json")
    assert Settings(rerank="off").retrieval.rerank == "off"  # type: ignore[call-arg]
