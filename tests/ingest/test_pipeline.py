"""Ingest against the real embedded Chroma and the real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.pipeline import Shard
from rag.domain.models import stable_hash
from rag.wiring import Components
from tests.conftest import SEEDS

ICARO = SEEDS / "002_2d9d8c9a3c948d3e.txt"


def stored_ids(components: Components) -> set[str]:
    return set(components.store._collection.get(include=[])["ids"])


def test_reingesting_unchanged_articles_embeds_nothing(fresh: Components) -> None:
    first = fresh.ingestor().ingest_paths([SEEDS])
    assert (first.read, first.new, first.rejected) == (2, 2, 0)
    assert first.chunks_embedded == fresh.store.count() > 0
    ids = stored_ids(fresh)
    again = fresh.ingestor().ingest_paths([SEEDS])
    assert (again.unchanged, again.new, again.updated) == (2, 0, 0)
    assert again.chunks_embedded == 0
    assert stored_ids(fresh) == ids


def test_a_changed_article_replaces_its_chunks_and_leaves_no_stale_one(
    fresh: Components, tmp_path: Path
) -> None:
    article = tmp_path / "icaro.txt"
    original = ICARO.read_text(encoding="utf-8")
    article.write_text(original, encoding="utf-8")
    fresh.ingestor().ingest_paths([article])
    before = stored_ids(fresh)

    shortened = original.replace(
        "Nevertheless, Rutte did confirm that NATO would meet its €40 billion military aid goal "
        "for Ukraine.",
        "",
    )
    assert shortened != original
    article.write_text(shortened, encoding="utf-8")
    summary = fresh.ingestor().ingest_paths([article])
    assert (summary.updated, summary.new, summary.unchanged) == (1, 0, 0)
    after = stored_ids(fresh)
    assert after != before
    assert summary.chunks_deleted == len(before - after) > 0
    expected = {c.id for c in fresh.ingestor()._chunker.chunk(_parse(article))}
    assert after == expected
    documents = fresh.store._collection.get(include=["documents"])["documents"] or []
    assert not any("€40 billion" in d for d in documents)


def test_a_metadata_change_rewrites_metadata_without_embedding(
    fresh: Components, tmp_path: Path
) -> None:
    article = tmp_path / "icaro.txt"
    shutil.copy(ICARO, article)
    fresh.ingestor().ingest_paths([article])
    article.write_text(
        "---\nauthor: Desk Editor\n---\n" + ICARO.read_text(encoding="utf-8"), encoding="utf-8"
    )
    summary = fresh.ingestor().ingest_paths([article])
    assert (summary.updated, summary.chunks_embedded, summary.chunks_deleted) == (1, 0, 0)
    metadatas = fresh.store._collection.get(include=["metadatas"])["metadatas"] or []
    assert {m["author"] for m in metadatas} == {"Desk Editor"}


def test_a_malformed_line_is_rejected_while_the_rest_lands_and_nothing_is_lost(
    fresh: Components, tmp_path: Path
) -> None:
    fresh.ingestor().ingest_paths([SEEDS])
    kept = stored_ids(fresh)
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"title": "Storm closes ports", "body": "A storm closed three ports on Monday.", '
        '"outlet": "Example Wire", "url": "https://example.org/storm"}\n'
        '{"title": "Broken", "body": \n'
        '{"title": "Heat wave", "body": "Temperatures hit 41C in the city.", '
        '"outlet": "Example Wire"}\n',
        encoding="utf-8",
    )
    errors: list[str] = []
    summary = fresh.ingestor(on_error=errors.append).ingest_paths([export])
    assert (summary.read, summary.new, summary.rejected) == (3, 2, 1)
    assert errors == summary.errors
    assert errors[0].startswith(f"{export}:2: invalid JSON")
    assert kept < stored_ids(fresh)
    titles = {h.title for _, h in fresh.store.article_heads()}
    assert {"Storm closes ports", "Heat wave"} < titles


def _parse(path: Path):  # type: ignore[no-untyped-def]
    from ingest.raw_text import parse_raw_article

    return parse_raw_article(path.read_text(encoding="utf-8"), str(path))


def test_an_edited_headline_replaces_the_files_earlier_article(
    fresh: Components, tmp_path: Path
) -> None:
    # Without a URL the article id hashes outlet, title and date: an edited headline is a new id,
    # and the file's earlier version must not linger as a second article.
    article = tmp_path / "icaro.txt"
    shutil.copy(ICARO, article)
    fresh.ingestor().ingest_paths([article])
    article.write_text(
        "---\ntitle: NATO Gives Zelenskyy's Plan a Lukewarm Welcome\n---\n"
        + ICARO.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    summary = fresh.ingestor().ingest_paths([article])
    assert (summary.updated, summary.new) == (1, 0)
    titles = [h.title for _, h in fresh.store.article_heads()]
    assert titles == ["NATO Gives Zelenskyy's Plan a Lukewarm Welcome"]
    again = fresh.ingestor().ingest_paths([article])
    assert (again.unchanged, again.chunks_embedded) == (1, 0)


def test_a_repeated_article_in_one_run_keeps_the_first_copy_and_reruns_change_nothing(
    fresh: Components, tmp_path: Path
) -> None:
    export = tmp_path / "dupes.jsonl"
    first = {
        "title": "Dam opens",
        "body": "The new dam opened on Monday.",
        "outlet": "Example Wire",
        "url": "https://example.org/dam",
    }
    second = dict(first, body="The new dam opened on Tuesday, a day late.")
    export.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    summary = fresh.ingestor().ingest_paths([export])
    assert (summary.new, summary.duplicate) == (1, 1)
    documents = fresh.store._collection.get(include=["documents"])["documents"] or []
    assert documents == ["The new dam opened on Monday."]
    again = fresh.ingestor().ingest_paths([export])
    assert (again.unchanged, again.duplicate, again.chunks_embedded) == (1, 1, 0)


@pytest.mark.parametrize("text", ["2/2", "-1/2", "1/0", "a/2", "1", "1/2/3"])
def test_a_shard_outside_its_workers_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        Shard.parse(text)


def test_the_shards_of_n_workers_split_the_articles_exactly() -> None:
    ids = [stable_hash("article", str(n)) for n in range(300)]
    owners = [[Shard(i, 3).owns(article_id) for i in range(3)] for article_id in ids]
    assert all(sum(owned) == 1 for owned in owners)
    assert all(sum(owned[i] for owned in owners) > 60 for i in range(3))  # each gets a share
