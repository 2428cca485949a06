"""What ingest writes through: the vectors and the lexical table, one batch at a time.

A batch is announced to readers in other processes as one change (how, the store's sync
decides), and the lexical table is kept by whichever side the store's mode says. Ingest plans
what to write; it never learns whether the store is embedded or a server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager

from rag.adapters.embedder import EmbeddingIdentity
from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import LAYOUT, ChromaStore
from rag.domain.models import Chunk

log = logging.getLogger("byline.ingest")
MIXED = "mixed"  # vectors of two precisions (their cosines to each other are >= 0.9999)


def embedding_to_record(
    recorded: EmbeddingIdentity | None, writing: EmbeddingIdentity, stored_chunks: int
) -> EmbeddingIdentity:
    """What a store records once this writer has added vectors.

    A store from before stores recorded their embedding was made in fp32 by the only model
    Byline shipped. Another model's vectors cannot share a store: that is an error."""
    if recorded is None:
        recorded = EmbeddingIdentity(writing.model, "fp32") if stored_chunks else writing
    writing.require_same_model(
        recorded,
        "ingest into another data dir or collection, or set BYLINE_MODEL_PATH to the store's model",
    )
    if recorded.precision in (writing.precision, MIXED):
        return recorded
    log.warning(
        "this store's vectors were made in %s, this ingest embeds in %s: the store now holds"
        " both (set BYLINE_EMBED_PRECISION=%s to keep it one)",
        recorded.precision,
        writing.precision,
        recorded.precision,
    )
    return EmbeddingIdentity(recorded.model, MIXED)


class IndexWriter:
    def __init__(
        self, store: ChromaStore, lexical: LexicalIndex, embedding: EmbeddingIdentity
    ) -> None:
        self._store = store
        self._lexical = lexical
        self._embedding = embedding
        self._checked = False

    def session(self) -> AbstractContextManager[None]:
        """Hold the store for writing: StoreBusy at once when another process writes to the
        same embedded store (a Chroma server takes concurrent writers)."""
        return self._store.sync.writing()

    def chunk_states(self, article_ids: list[str]) -> dict[str, dict[str, str]]:
        """Stored chunk ids of each article, each with the article hash it was written with."""
        return self._store.chunk_states(article_ids)

    def chunks_from_source(self, source: str) -> dict[str, str]:
        """Stored chunk ids that came from one source file, each with its article id."""
        return self._store.chunks_from_source(source)

    def story_candidates(self, keys: list[str]) -> list[tuple[str, str, str]]:
        """(article id, story, signature) of the stored articles sharing an LSH band key."""
        found = self._lexical.story_candidates(keys)
        firsts = {first: (article, story) for article, story, first in found}
        return [
            (*firsts[chunk_id], str(meta.get("minhash", "")))
            for chunk_id, _, meta in self._store.documents(list(firsts))
        ]

    def drop_published_before(self, timestamp: int) -> int:
        """Delete every chunk of articles published before ``timestamp``; how many there were."""
        stale = self._store.dated_before(timestamp)
        if stale:
            self.write([], [], [], stale)
        return len(stale)

    def write(
        self,
        embedded: Sequence[Chunk],
        vectors: Sequence[Sequence[float]],
        rewritten: Sequence[Chunk],
        stale: Sequence[str],
    ) -> None:
        """New chunks with their vectors, chunks whose metadata alone changed, and stale chunk
        ids to delete. A crash inside leaves the lexical table behind the vectors: an embedded
        store's is reconciled when next opened; a server's readers learn of it when the next
        run announces what this one left unannounced."""
        if embedded and not self._checked:
            recorded = self._store.embedding()
            stored = self._store.count()
            record = embedding_to_record(recorded, self._embedding, stored)
            if record != recorded:
                self._store.record_embedding(record)
            if not stored:  # a new store is written in this release's layout from its start
                self._store.record_layout(LAYOUT)
            self._checked = True
        written = [*embedded, *rewritten]
        with self._store.announcing([c.id for c in written] + list(stale)):
            self._store.upsert(embedded, vectors)
            self._store.update_metadata(rewritten)
            self._store.delete(stale)
            self._store.sync.wrote(self._lexical, written, stale)
