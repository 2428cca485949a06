"""The lexical (BM25) index beside the Chroma vectors.

Ingest writes each chunk's terms to ``lexical.sqlite`` in the data dir (same chunk ids as Chroma,
upserts and deletions applied in step); that table is the index's durable, incremental form. The
searchable form is a bm25s matrix built in memory from the table when first searched and rebuilt
only when the data dir's generation changes (after an ingest), never per query. Searching 76k
chunks takes about 1 ms; building takes about 6 s.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from rag.generation import Generation
from rag.models import Chunk
from rag.store import UNDATED, ChromaStore, chunk_metadata
from rag.text import content_terms

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

# A filter sees whole columns (publication times, outlet keys) at once, once a query.
AllowedFn = Callable[[npt.NDArray[np.int64], npt.NDArray[np.str_]], npt.NDArray[np.bool_]]
_SCHEMA = """
create table if not exists chunks (
    chunk_id text primary key,
    terms text not null,
    published_ts integer not null,
    outlet text not null
)
"""


def chunk_terms(title: str, text: str) -> list[str]:
    """Index terms of a chunk; the headline counts twice (it names what the story is about)."""
    title_terms = content_terms(title)
    return title_terms + title_terms + content_terms(text)


@dataclass(frozen=True)
class LexicalRow:
    chunk_id: str
    terms: str
    published_ts: int
    outlet: str

    @classmethod
    def of(cls, chunk: Chunk) -> LexicalRow:
        return cls.stored(chunk.id, chunk.text, chunk_metadata(chunk))

    @classmethod
    def stored(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> LexicalRow:
        """The row of a chunk as Chroma holds it (text and flat metadata)."""
        return cls(
            chunk_id,
            " ".join(chunk_terms(str(meta["title"]), text)),
            int(meta.get("published_ts", UNDATED)),
            str(meta["outlet"]),
        )


@dataclass
class _Searchable:
    ids: list[str]
    published_ts: npt.NDArray[np.int64]
    outlet_keys: npt.NDArray[np.str_]
    outlets: frozenset[str]
    position: dict[str, int]
    vocab: dict[str, int]
    bm25: bm25s.BM25 | None


class LexicalIndex:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._db = data_dir / "lexical.sqlite"
        self._generation = Generation(data_dir)
        self._lock = threading.Lock()
        self._searchable: _Searchable | None = None
        self._built_for: str | None = None
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._db, timeout=30)
        db.execute("pragma journal_mode=wal")
        return db

    # Writes (ingest) -----------------------------------------------------------------------

    def upsert(self, rows: Iterable[LexicalRow]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany(
                "insert or replace into chunks values (?, ?, ?, ?)",
                [(r.chunk_id, r.terms, r.published_ts, r.outlet) for r in rows],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("delete from chunks where chunk_id = ?", [(i,) for i in chunk_ids])

    def chunk_ids(self) -> set[str]:
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("select chunk_id from chunks")}

    def sync_with(self, store: ChromaStore, batch: int = 1000) -> tuple[int, int]:
        """Make the table hold exactly the store's chunks (a data dir written before the lexical
        index existed, or an ingest cut off between the two writes); returns (added, removed)."""
        stored = store.all_ids()
        indexed = self.chunk_ids()
        missing = sorted(stored - indexed)
        for start in range(0, len(missing), batch):
            self.upsert(
                LexicalRow.stored(chunk_id, text, meta)
                for chunk_id, text, meta in store.documents(missing[start : start + batch])
            )
        extra = sorted(indexed - stored)
        self.delete(extra)
        if missing or extra:
            self._generation.bump()  # other processes' BM25 matrices are now stale
        return len(missing), len(extra)

    # Reads ---------------------------------------------------------------------------------

    def search(
        self,
        question: str,
        k: int,
        allowed: AllowedFn | None = None,
    ) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) among chunks that ``allowed`` lets through."""
        index = self._current()
        terms = [index.vocab[t] for t in content_terms(question) if t in index.vocab]
        if index.bm25 is None or not terms:
            return []
        scores = np.asarray(index.bm25.get_scores(terms), dtype=np.float64)
        if allowed is not None:
            scores[~allowed(index.published_ts, index.outlet_keys)] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(index.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def facts(self, chunk_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """(published_ts, outlet key) of each known chunk: enough to filter and rank candidates
        without reading their metadata from Chroma."""
        index = self._current()
        found = {}
        for chunk_id in chunk_ids:
            i = index.position.get(chunk_id)
            if i is not None:
                found[chunk_id] = (int(index.published_ts[i]), str(index.outlet_keys[i]))
        return found

    def outlets(self) -> frozenset[str]:
        """Every outlet in the index, as ingested (for recognising outlets named in questions)."""
        return self._current().outlets

    def _current(self) -> _Searchable:
        generation = self._generation.read()
        if self._searchable is not None and generation == self._built_for:
            return self._searchable
        with self._lock:
            if self._searchable is None or generation != self._built_for:
                self._searchable = self._build()
                self._built_for = generation
            return self._searchable

    def _build(self) -> _Searchable:
        with closing(self._connect()) as db:
            rows = db.execute(
                "select chunk_id, terms, published_ts, outlet from chunks order by chunk_id"
            ).fetchall()
        vocab: dict[str, int] = {}
        corpus = [[vocab.setdefault(t, len(vocab)) for t in row[1].split()] for row in rows]
        bm25 = None
        if rows:
            bm25 = bm25s.BM25(k1=1.2, b=0.75)
            bm25.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)
        return _Searchable(
            ids=[row[0] for row in rows],
            published_ts=np.array([row[2] for row in rows], dtype=np.int64),
            outlet_keys=np.array([row[3].casefold() for row in rows], dtype=np.str_),
            outlets=frozenset(row[3] for row in rows),
            position={row[0]: i for i, row in enumerate(rows)},
            vocab=vocab,
            bm25=bm25,
        )
