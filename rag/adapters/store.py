"""Adapter for Chroma: chunks with their embeddings and flat metadata. No product logic here.

Embeddings are always passed in: Chroma's default embedding function downloads a model.
``published_ts`` is epoch seconds, and ``UNDATED`` (-1) for an article without a date: an as-of
bound (``<=``) keeps undated articles, while an explicit date range also asks for ``>= 0``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from rag.adapters.changelog import ChangeLog
from rag.adapters.embedder import EmbeddingIdentity
from rag.adapters.sync import EmbeddedSync, ServerSync, StoreSync
from rag.domain import names
from rag.domain.models import Article, ArticleHead, Chunk, stable_hash
from rag.errors import StoreError, store_errors

if TYPE_CHECKING:  # chromadb takes ~0.7 s to import: loaded when a store is first opened
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import QueryResult

Where = dict[str, Any]
UNDATED = -1
# Bump when the metadata layout changes: the next ingest rewrites every chunk's metadata
# (without embedding anything again).
METADATA_VERSION = "2"
# The store's layout, recorded in the collection's metadata; `byline upgrade` brings a store of
# an earlier layout to this one in place. 3: every chunk's named entities (``names``); 4: every
# chunk's wire story (``story``) and each article's signature (``minhash``, its first chunk).
LAYOUT = 4
BEFORE_LAYOUTS = 2  # what a store that records none was written as


def article_state(article: Article) -> str:
    """What a stored chunk records of its article; any difference means "rewrite"."""
    return stable_hash(METADATA_VERSION, article.content_hash)


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    article = chunk.article
    metadata: dict[str, str | int] = {
        "article_id": article.id,
        "article_hash": article_state(article),
        "chunk_index": chunk.index,
        "title": article.title,
        "outlet": article.outlet,
        "outlet_key": article.outlet.casefold(),
        "url": article.url,
        "author": article.author,
        "published_at": article.published_at.isoformat() if article.published_at else "",
        "source": article.source,
        "published_ts": int(article.published_at.timestamp()) if article.published_at else UNDATED,
    }
    if article.language:
        metadata["language"] = article.language
    if chunk.story is not None:
        metadata["story"] = chunk.story
    if chunk.signature is not None:
        metadata["minhash"] = chunk.signature
    if chunk.bands is not None:
        metadata["story_bands"] = chunk.bands
    if chunk.names is not None:
        metadata[names.FIELD] = names.encode(chunk.names)
    return metadata


def article_head(meta: Mapping[str, Any]) -> ArticleHead:
    """An article's listing row, from its chunks' flat metadata."""
    return ArticleHead(
        id=str(meta["article_id"]),
        title=str(meta["title"]),
        outlet=str(meta["outlet"]),
        url=str(meta["url"]),
        author=str(meta["author"]),
        published_at=str(meta["published_at"]) or None,
        published_ts=int(meta.get("published_ts", UNDATED)),
    )


def http_client(url: str, timeout_s: float) -> ClientAPI:
    """A client of the Chroma server at ``url`` (http or https), every request bounded in time."""
    import chromadb
    from chromadb.api.fastapi import FastAPI as ChromaHttpAPI
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"BYLINE_CHROMA_URL must look like http://host:8000, not {url!r}")
    client = chromadb.HttpClient(
        host=parts.hostname,
        port=parts.port or (443 if parts.scheme == "https" else 80),
        ssl=parts.scheme == "https",
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    # Chroma's client waits forever by default; a hung server must become a 503, not a hang.
    server = client._server  # type: ignore[attr-defined]
    if isinstance(server, ChromaHttpAPI):
        server._session.timeout = httpx.Timeout(timeout_s)
    return client


class ChromaStore:
    """One collection of a Chroma store: embedded under ``data_dir``, or on a Chroma server.

    Which of the two decides only the client and the :class:`~rag.adapters.sync.StoreSync`
    (how other processes' writes become visible); nothing else here asks.
    """

    def __init__(
        self, data_dir: Path, collection: str, url: str = "", timeout_s: float = 10.0
    ) -> None:
        self.data_dir = data_dir
        self.collection = collection
        self._path = data_dir / "chroma"
        self._url = url
        self._timeout_s = timeout_s
        self._lock = threading.RLock()
        self._client: ClientAPI | None = None
        self._collection: Collection | None = None
        self._batch = 0
        self._opened: str | None = None
        data_dir.mkdir(parents=True, exist_ok=True)
        self.sync: StoreSync
        if url:  # reached now, so that a wrong address fails at start-up
            with store_errors(f"reach the Chroma server at {url}"):
                self._open()
                self.sync = ServerSync(ChangeLog(self._side("changes"), data_dir), url)
        else:  # opened on first use, so that a writer holds the store before it touches it
            self.sync = EmbeddedSync(data_dir)

    def _open(self) -> Collection:
        if self._url:
            self._client = http_client(self._url, self._timeout_s)
        else:
            import chromadb
            from chromadb.api.shared_system_client import SharedSystemClient
            from chromadb.config import Settings as ChromaSettings

            # Drop Chroma's per-path cached client without stopping it: requests in flight may
            # still hold it; this open loads the index afresh from disk.
            SharedSystemClient._identifier_to_system.pop(str(self._path), None)
            self._client = chromadb.PersistentClient(
                path=str(self._path), settings=ChromaSettings(anonymized_telemetry=False)
            )
        self._collection = self._client.get_or_create_collection(
            self.collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self._batch = self._client.get_max_batch_size()
        return self._collection

    def _side(self, name: str) -> Collection:
        assert self._client is not None
        return self._client.get_or_create_collection(
            f"{self.collection}.{name}", embedding_function=None
        )

    def _current(self, force: bool = False) -> Collection:
        """The collection, reopened when another process wrote since it was opened: an embedded
        client keeps the vector index it loaded in memory (a server client's reads are always
        current)."""
        token = self.sync.client_token()
        collection = self._collection
        if collection is not None and (token is None or (not force and token == self._opened)):
            return collection
        with self._lock:
            token = self.sync.client_token()
            if self._collection is None or force or token != self._opened:
                with store_errors("open"):
                    self._open()
                self._opened = token
            assert self._collection is not None
            return self._collection

    @contextmanager
    def announcing(self, chunk_ids: Sequence[str]) -> Iterator[None]:
        """Around writes of these chunks: afterwards, readers in other processes see them.

        The lock spans the token's change and this client noting it, so that a reader in
        another thread of this process never reopens the client under a write in flight."""
        with self._lock:
            try:
                with self.sync.announcing(chunk_ids):
                    yield
            finally:  # this process's own client already holds its writes
                self._opened = self.sync.client_token()

    def embedding(self) -> EmbeddingIdentity | None:
        """The model and precision the stored vectors were made with (None: not recorded)."""
        with store_errors("read the collection's metadata"):
            meta = self._current().metadata or {}
        if "embedding_model" not in meta:
            return None
        return EmbeddingIdentity(str(meta["embedding_model"]), str(meta["embedding_precision"]))

    def record_embedding(self, identity: EmbeddingIdentity) -> None:
        with store_errors("record the embedding model"):
            collection = self._current()
            collection.modify(
                metadata={
                    **(collection.metadata or {}),
                    "embedding_model": identity.model,
                    "embedding_precision": identity.precision,
                }
            )

    def layout(self) -> int:
        """The layout the store's chunks are written in (an empty store: this release's)."""
        with store_errors("read the collection's metadata"):
            meta = self._current().metadata or {}
        if "byline_layout" in meta:
            return int(meta["byline_layout"])
        return BEFORE_LAYOUTS if self.count() else LAYOUT

    def record_layout(self, layout: int) -> None:
        with store_errors("record the store's layout"):
            collection = self._current()
            collection.modify(metadata={**(collection.metadata or {}), "byline_layout": layout})

    def count(self) -> int:
        with store_errors("count chunks"):
            return int(self._current().count())

    def chunk_states(self, article_ids: list[str]) -> dict[str, dict[str, str]]:
        """Stored chunk ids of each article, each with the article hash it was written with.

        One query for many articles: Chroma scans the metadata for each filtered query (at 76k
        chunks, ~12 ms for one article, ~30 ms for sixty-four)."""
        if not article_ids:
            return {}
        of_these: Where = {"article_id": {"$in": [*article_ids]}}
        with store_errors("read articles' chunks"):
            got = self._current().get(where=of_these, include=["metadatas"])
        states: dict[str, dict[str, str]] = {}
        for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            article = states.setdefault(str(meta["article_id"]), {})
            article[chunk_id] = str(meta.get("article_hash", ""))
        return states

    def chunks_from_source(self, source: str) -> dict[str, str]:
        """Stored chunk ids that came from one source file, each with its article id."""
        with store_errors("read a source's chunks"):
            got = self._current().get(where={"source": source}, include=["metadatas"])
        return {
            chunk_id: str(meta["article_id"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def dated_before(self, timestamp: int) -> list[str]:
        """Ids of the chunks of articles published before ``timestamp`` (undated ones never)."""
        older: Where = {
            "$and": [{"published_ts": {"$lt": timestamp}}, {"published_ts": {"$gte": 0}}]
        }
        with store_errors("find old chunks"):
            return list(self._current().get(where=older, include=[])["ids"])

    def all_ids(self) -> set[str]:
        with store_errors("list chunk ids"):
            return set(self._current().get(include=[])["ids"])

    def texts(self, batch: int = 5000) -> Iterator[str]:
        """Every chunk's headline and text, a batch at a time (eval reads the whole corpus)."""
        ids = sorted(self.all_ids())
        for start in range(0, len(ids), batch):
            for _, text, meta in self.documents(ids[start : start + batch]):
                yield f"{meta.get('title', '')}\n{text}"

    def documents(self, ids: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of the given chunks."""
        if not ids:
            return []
        with store_errors("read chunks"):
            got = self._current().get(ids=list(ids), include=["documents", "metadatas"])
        return [
            (chunk_id, str(text), dict(meta))
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]

    def vectors(self, ids: Sequence[str], batch: int = 5000) -> dict[str, list[float]]:
        """The stored vectors of the given chunks (training reads the passages' side as is)."""
        found: dict[str, list[float]] = {}
        with store_errors("read vectors"):
            collection = self._current()
            for start in range(0, len(ids), batch):
                got = collection.get(ids=list(ids[start : start + batch]), include=["embeddings"])
                embeddings = got["embeddings"] if got["embeddings"] is not None else []
                for chunk_id, vector in zip(got["ids"], embeddings, strict=True):
                    found[chunk_id] = [float(x) for x in vector]
        return found

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        with store_errors("write chunks"):
            collection = self._current()
            for start in range(0, len(chunks), self._batch):
                part = chunks[start : start + self._batch]
                vectors: list[Sequence[float]] = list(embeddings[start : start + self._batch])
                collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors,
                    documents=[c.text for c in part],
                    metadatas=[chunk_metadata(c) for c in part],
                )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite metadata of chunks whose text is unchanged (no re-embedding)."""
        with store_errors("update chunk metadata"):
            collection = self._current()
            for start in range(0, len(chunks), self._batch):
                part = chunks[start : start + self._batch]
                collection.update(
                    ids=[c.id for c in part],
                    metadatas=[chunk_metadata(c) for c in part],
                )

    def rewrite_metadata(self, metadatas: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace these chunks' metadata as given (an upgrade of the layout; no re-embedding)."""
        ids = list(metadatas)
        with store_errors("rewrite chunk metadata"):
            collection = self._current()
            for start in range(0, len(ids), self._batch):
                part = ids[start : start + self._batch]
                collection.update(ids=part, metadatas=[dict(metadatas[i]) for i in part])

    def delete(self, ids: Sequence[str]) -> None:
        with store_errors("delete chunks"):
            collection = self._current()
            for start in range(0, len(ids), self._batch):
                collection.delete(ids=list(ids[start : start + self._batch]))

    def nearest(
        self, embedding: Sequence[float], n: int, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``n`` nearest chunks, ids and distances only:
        reading metadata for every candidate costs more than the search itself."""
        try:
            found = self._search(embedding, n, where)
        except Exception:
            # An index that another process is writing half-way can fail a search
            # ("Error finding id"); the index as it now stands on disk answers.
            with store_errors("search"):
                self._current(force=True)
                found = self._search(embedding, n, where)
        distances = (found["distances"] or [[]])[0]
        return [
            (chunk_id, 1.0 - float(d))
            for chunk_id, d in zip(found["ids"][0], distances, strict=True)
        ]

    def _search(self, embedding: Sequence[float], n: int, where: Where | None) -> QueryResult:
        return self._current().query(
            query_embeddings=[embedding], n_results=n, where=where, include=["distances"]
        )

    def article_heads(self, where: Where | None = None) -> list[tuple[str, ArticleHead]]:
        """(first chunk id, listing row) of every article: a scan of the store's metadata, so
        for filling the catalogue once, not for serving listings (``LexicalIndex``)."""
        first_chunks: Where = {"chunk_index": 0}
        with store_errors("list articles"):
            got = self._current().get(
                where={"$and": [first_chunks, where]} if where else first_chunks,
                include=["metadatas"],
            )
        metas = got["metadatas"] or []
        return [
            (chunk_id, article_head(meta)) for chunk_id, meta in zip(got["ids"], metas, strict=True)
        ]
