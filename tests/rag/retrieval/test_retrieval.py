"""Hybrid retrieval on the real model, Chroma and BM25 index, over a small hand-made corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rag.retrieval.retriever import Query, Retriever, rrf
from rag.settings import Tuning
from rag.wiring import Components

FLOOD = (
    "Heavy rain flooded the river town of Marlow, forcing 300 residents from their homes. "
    "Emergency crews used boats to reach stranded families, the county council said."
)
ARTICLES = [
    {
        "title": "Floods force 300 from homes in Marlow",
        "body": FLOOD,
        "outlet": "Example Wire",
        "url": "https://example.org/marlow-floods",
        "published_at": "2024-03-04",
    },
    # The same wire story in a second outlet: one of the two must be collapsed.
    {
        "title": "Floods force 300 from homes in Marlow",
        "body": FLOOD,
        "outlet": "Daily Courier",
        "url": "https://courier.example/marlow-floods",
        "published_at": "2024-03-04",
    },
    {
        "title": "Marlow flood waters recede",
        "body": "Flood waters in Marlow receded on Friday as "
        "residents returned home to assess the damage from the river.",
        "outlet": "Example Wire",
        "url": "https://example.org/marlow-recede",
        "published_at": "2024-03-08",
    },
    {
        "title": "Marlow flood defences approved",
        "body": "A year after the river flooded Marlow, "
        "the council approved new flood defences for the town.",
        "outlet": "Daily Courier",
        "url": "https://courier.example/defences",
        "published_at": "2025-03-01",
    },
    {
        "title": "Marlow history society meets",
        "body": "The Marlow history society discussed the "
        "great river flood of 1947 at its monthly meeting.",
        "outlet": "Parish News",
        "url": "https://parish.example/history",
    },
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder) -> Components:  # type: ignore[no-untyped-def]
    from tests.conftest import components_at

    root = tmp_path_factory.mktemp("retrieval")
    export = root / "articles.jsonl"
    export.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    components = components_at(root / "data", embedder)
    assert components.ingestor().ingest_paths([export]).new == len(ARTICLES)
    return components


def retrieve(corpus: Components, question: str, **kwargs: object) -> list[str]:
    retriever = Retriever(corpus.store, corpus.lexical, corpus.embedder)
    passages = retriever.retrieve(Query(question, top_k=5, **kwargs)).passages  # type: ignore[arg-type]
    return [f"{p.outlet}|{p.title}" for p in passages]


def test_fusion_ranks_what_both_retrievers_found_first() -> None:
    scores = rrf([(["a", "b", "c"], 1.0), (["c", "a", "d"], 1.0)], k=60)
    assert max(scores, key=scores.__getitem__) == "a"
    assert scores["a"] > scores["c"] > scores["b"] > scores["d"]
    assert rrf([(["a"], 0.0), (["b"], 1.0)], k=60)["a"] == 0.0


def test_nothing_published_after_as_of_is_retrieved(corpus: Components) -> None:
    found = retrieve(corpus, "Marlow flood defences", as_of=datetime(2024, 3, 10, tzinfo=UTC))
    assert "Daily Courier|Marlow flood defences approved" not in found
    assert found  # the 2024 stories and the undated one remain
    later = retrieve(corpus, "Marlow flood defences", as_of=datetime(2025, 3, 2, tzinfo=UTC))
    assert later[0] == "Daily Courier|Marlow flood defences approved"


def test_undated_articles_stay_under_as_of_but_not_in_an_explicit_range(corpus: Components) -> None:
    question = "great river flood of 1947 history society"
    assert "Parish News|Marlow history society meets" in retrieve(corpus, question)
    ranged = retrieve(corpus, question, since=datetime(2020, 1, 1, tzinfo=UTC))
    assert "Parish News|Marlow history society meets" not in ranged


def test_identical_wire_stories_are_collapsed(corpus: Components) -> None:
    found = retrieve(corpus, "How many residents did the Marlow floods force from their homes?")
    assert sum(title.endswith("Floods force 300 from homes in Marlow") for title in found) == 1
    retriever = Retriever(corpus.store, corpus.lexical, corpus.embedder, Tuning(dedup=False))
    both = retriever.retrieve(Query("Marlow floods residents homes", top_k=5)).passages
    assert sum(p.title == "Floods force 300 from homes in Marlow" for p in both) == 2


def test_a_named_outlet_is_preferred(corpus: Components) -> None:
    question = "How many residents did the Marlow floods force from their homes"
    assert retrieve(corpus, question + ", according to the Daily Courier?")[0].startswith(
        "Daily Courier|"
    )
    assert retrieve(corpus, question + ", according to Example Wire?")[0].startswith(
        "Example Wire|"
    )


def test_the_window_a_question_names_is_preferred(corpus: Components) -> None:
    as_of = datetime(2024, 3, 9, 12, tzinfo=UTC)  # a Saturday
    on_monday = retrieve(corpus, "What happened in Marlow on Monday?", as_of=as_of)
    on_friday = retrieve(corpus, "What happened in Marlow on Friday?", as_of=as_of)
    assert on_monday[0].endswith("|Floods force 300 from homes in Marlow")  # 4 March
    assert on_friday[0] == "Example Wire|Marlow flood waters recede"  # 8 March


def test_the_lexical_index_follows_updates_and_deletions(fresh: Components, tmp_path: Path) -> None:
    export = tmp_path / "one.jsonl"
    record = dict(ARTICLES[0])
    export.write_text(json.dumps(record) + "\n", encoding="utf-8")
    fresh.ingestor().ingest_paths([export])
    assert fresh.lexical.chunk_ids() == fresh.store.all_ids()
    record["body"] = "Rescue teams in Marlow saved a stranded heron named Gerald from the river."
    export.write_text(json.dumps(record) + "\n", encoding="utf-8")
    summary = fresh.ingestor().ingest_paths([export])
    assert summary.updated == 1 and summary.chunks_deleted >= 1
    assert fresh.lexical.chunk_ids() == fresh.store.all_ids()
    hits = fresh.lexical.search("heron Gerald", 5)
    assert [chunk_id for chunk_id, _ in hits] == sorted(fresh.store.all_ids())
    assert fresh.lexical.search("boats crews county council", 5) == []


def test_a_lagging_lexical_index_is_rebuilt_from_the_store(fresh: Components) -> None:
    from tests.conftest import SEEDS

    fresh.ingestor().ingest_paths([SEEDS])
    fresh.lexical.delete(sorted(fresh.lexical.chunk_ids())[:2])
    added, removed = fresh.lexical.sync()
    assert (added, removed) == (2, 0)
    assert fresh.lexical.chunk_ids() == fresh.store.all_ids()
