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
from rag.retrieval.retriever import Retriever, Tuning
from rag.settings import Settings

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
            settings.model_path, settings.torch_threads if threads is None else threads
        )
        return cls.of(settings, embedder)

    @classmethod
    def of(
        cls, settings: Settings, embedder: Embedder, store: ChromaStore | None = None
    ) -> Components:
        """Open the store and its lexical index, and bring the index level with the store."""
        store = store or open_store(settings)
        lexical = LexicalIndex(settings.data_dir, store)
        added, removed = lexical.sync()
        if added or removed:
            log.info("lexical index synced with the store: %d added, %d removed", added, removed)
        return cls(settings, embedder, store, lexical)

    def retriever(self, tuning: Tuning | None = None) -> Retriever:
        return Retriever(self.store, self.lexical, self.embedder, tuning)

    def ask_service(self) -> AskService:
        settings = self.settings
        extractive = ExtractiveAnswerer(settings.max_answer_sentences, settings.min_answer_score)
        # Loaded even without a model, so that a broken prompt file fails at start-up.
        answer_prompt, condense_prompt = load_prompt("answer"), load_prompt("condense")
        retriever = self.retriever()
        if not settings.llm_model:
            return AskService(retriever, extractive)
        model = ChatModel(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key.get_secret_value(),
            settings.llm_timeout_s,
            settings.llm_max_tokens,
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
        max_tokens = min(self.settings.chunk_max_tokens, self.embedder.max_tokens)
        chunker = Chunker(
            self.embedder.count_pieces, max_tokens, self.settings.chunk_overlap_tokens
        )
        return Ingestor(
            IndexWriter(self.store, self.lexical),
            self.embedder,
            chunker,
            batch_size=self.settings.embed_batch_size,
            on_error=on_error,
            shard=shard,
            max_chars=self.settings.max_article_chars,
        )


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(
        settings.data_dir, settings.collection, settings.chroma_url, settings.chroma_timeout_s
    )


def load_embedder(settings: Settings) -> Embedder:
    return Embedder(settings.model_path, settings.torch_threads)


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
        embedder = Embedder(settings.model_path, settings.ingest_threads)
        components = Components.of(settings, embedder, store)
        yield components.ingestor(on_error=on_error, shard=owned)
