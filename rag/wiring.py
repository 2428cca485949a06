"""Wiring: build the adapters and services once from Settings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ingest.chunker import Chunker
from ingest.pipeline import Ingestor, Shard
from rag.adapters.chat_model import ChatModel
from rag.adapters.embedder import Embedder
from rag.adapters.index_writer import IndexWriter
from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import ChromaStore
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.followup import FollowUps
from rag.answering.grounding import DECLINE_TEXT
from rag.answering.llm_answerer import LLMAnswerer
from rag.answering.prompts import load_prompt
from rag.answering.service import AskService
from rag.catalogue import Added, Catalogue, add_article
from rag.errors import BylineError
from rag.retrieval.retriever import Retriever
from rag.settings import Settings, Tuning

log = logging.getLogger("byline.components")


@dataclass
class Components:
    settings: Settings
    embedder: Embedder
    store: ChromaStore
    lexical: LexicalIndex

    @classmethod
    def load(cls, settings: Settings, threads: int | None = None) -> Components:
        embedder = Embedder(
            settings.embedding.model_path,
            settings.embedding.torch_threads if threads is None else threads,
        )
        return cls.of(settings, embedder)

    @classmethod
    def of(
        cls, settings: Settings, embedder: Embedder, store: ChromaStore | None = None
    ) -> Components:
        """Open the store and its lexical index, and bring the index level with the store."""
        store = store or open_store(settings)
        lexical = LexicalIndex(settings.store.data_dir, store)
        added, removed = lexical.sync()
        if added or removed:
            log.info("lexical index synced with the store: %d added, %d removed", added, removed)
        return cls(settings, embedder, store, lexical)

    def retriever(self, tuning: Tuning | None = None) -> Retriever:
        tuning = tuning or self.settings.retrieval.tuning
        return Retriever(self.store, self.lexical, self.embedder, tuning)

    def ask_service(self) -> AskService:
        settings = self.settings
        extractive = ExtractiveAnswerer(
            settings.answering.max_answer_sentences, settings.answering.min_answer_score
        )
        # Loaded even without a model, so that a broken prompt file fails at start-up.
        answer_prompt, condense_prompt = load_prompt("answer"), load_prompt("condense")
        retriever = self.retriever()
        if not settings.llm.model:
            return AskService(retriever, extractive)
        model = ChatModel(
            settings.llm.base_url,
            settings.llm.model,
            settings.llm.api_key.get_secret_value(),
            settings.llm.timeout_s,
            settings.llm.max_tokens,
        )
        return AskService(
            retriever,
            extractive,
            LLMAnswerer(model, answer_prompt, DECLINE_TEXT),
            FollowUps(model, condense_prompt),
        )

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.lexical)

    def add_article(self, record: dict[str, Any]) -> Added:
        return add_article(self.ingestor(), record)

    def ingestor(
        self, on_error: Callable[[str], None] | None = None, shard: Shard | None = None
    ) -> Ingestor:
        max_tokens = min(self.settings.ingest.chunk_max_tokens, self.embedder.max_tokens)
        chunker = Chunker(
            self.embedder.count_pieces, max_tokens, self.settings.ingest.chunk_overlap_tokens
        )
        return Ingestor(
            IndexWriter(self.store, self.lexical),
            self.embedder,
            chunker,
            batch_size=self.settings.ingest.embed_batch_size,
            on_error=on_error,
            shard=shard,
            max_chars=self.settings.ingest.max_article_chars,
        )


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(
        settings.store.data_dir,
        settings.store.collection,
        settings.store.chroma_url,
        settings.store.chroma_timeout_s,
    )


def load_embedder(settings: Settings) -> Embedder:
    return Embedder(settings.embedding.model_path, settings.embedding.torch_threads)


@contextmanager
def ingest_session(
    settings: Settings, shard: str | None, on_error: Callable[[str], None]
) -> Iterator[Ingestor]:
    """An ingestor for the command line: the embedded store's write lock is taken before the
    model loads, so that a second writer fails in a moment, not after seconds."""
    try:
        owned = Shard.parse(shard) if shard else None
    except ValueError as exc:
        raise BylineError(str(exc)) from None
    store = open_store(settings)
    with store.sync.writing():
        embedder = Embedder(settings.embedding.model_path, settings.ingest.ingest_threads)
        components = Components.of(settings, embedder, store)
        yield components.ingestor(on_error=on_error, shard=owned)
