"""What the answerer reads is read once, when a chunk is written; a data dir written by an
earlier release (or read by another version of the sentence reader) is read again in place,
and answers exactly as a fresh one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.adapters.embedder import Embedder
from rag.adapters.lexical import LexicalIndex
from rag.answering.candidates import read_sentences
from rag.domain.models import Sentence
from rag.retrieval.retriever import Query
from rag.wiring import Components
from tests.conftest import SEEDS, components_at

QUESTION = Query("How much military aid did NATO say it would deliver to Ukraine?", 5)


def _layout_one(db_file: Path) -> None:
    """The chunks table as releases before this one wrote it: terms, date and outlet only."""
    with sqlite3.connect(db_file) as db:
        db.executescript(
            """
            create table old as select chunk_id, terms, published_ts, outlet from chunks;
            drop table chunks;
            create table chunks (chunk_id text primary key, terms text not null,
                                 published_ts integer not null, outlet text not null);
            insert into chunks select * from old;
            drop table old;
            delete from meta where key = 'layout';
            """
        )


def _read(sentences: tuple[Sentence, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """What the reading gives a sentence (its names come from the store, not the reading)."""
    return [(s.text, s.terms) for s in sentences]


@pytest.fixture
def sampled(tmp_path: Path, embedder: Embedder) -> Components:
    """The sample articles in a store of this test's own (it rewrites the table)."""
    components = components_at(tmp_path / "data", embedder)
    components.ingestor().ingest_paths([SEEDS])
    return components


def test_an_earlier_table_is_read_again_in_place_and_answers_the_same(
    sampled: Components, embedder: Embedder
) -> None:
    data_dir = sampled.settings.store.data_dir
    before = sampled.ask_service().ask(QUESTION)
    chunk_ids = sampled.lexical.chunk_ids()
    _layout_one(data_dir / "lexical.sqlite")

    upgraded = components_at(data_dir, embedder)
    assert upgraded.lexical.chunk_ids() == chunk_ids
    articles = upgraded.lexical.article_chunks([p.article_id for p in before.citations])
    assert articles
    for article_id, chunks in articles.items():
        assert chunks and all(c.passage.article_id == article_id for c in chunks)
        for chunk in chunks:
            assert _read(chunk.sentences) == _read(read_sentences(chunk.passage.text))
    # The names read at ingest come back from the store with the sentences that hold them.
    assert any(s.names for chunks in articles.values() for c in chunks for s in c.sentences)
    after = upgraded.ask_service().ask(QUESTION)
    assert (after.text, after.citations) == (before.text, before.citations)
    assert not before.declined


class _Headlines:
    """Another reading (a new version): each chunk's first line only."""

    version = "test-headlines"

    def __call__(self, text: str) -> tuple[Sentence, ...]:
        first = text.split("\n", 1)[0]
        return (Sentence(first, tuple(first.casefold().split())),)


def test_a_new_version_of_the_reading_reads_every_chunk_again(sampled: Components) -> None:
    components, data_dir = sampled, sampled.settings.store.data_dir
    articles = [head.id for head in components.catalogue.articles(10, 0).items]
    reread = LexicalIndex(data_dir, components.store, _Headlines())
    for chunks in reread.article_chunks(articles).values():
        for chunk in chunks:
            assert [s.text for s in chunk.sentences] == [chunk.passage.text.split("\n", 1)[0]]
    # And back: the shipped reading is restored the same way.
    again = LexicalIndex(data_dir, components.store, read_sentences)
    for chunks in again.article_chunks(articles).values():
        assert all(_read(c.sentences) == _read(read_sentences(c.passage.text)) for c in chunks)
