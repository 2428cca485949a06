"""Wiring: build the adapters and services once from Settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingest.chunker import Chunker
from ingest.pipeline import Ingestor
from rag.embedder import Embedder
from rag.extractive import ExtractiveAnswerer
from rag.retrieve import Retriever
from rag.service import AskService
from rag.settings import Settings
from rag.store import ChromaStore


@dataclass
class Components:
    settings: Settings
    embedder: Embedder
    store: ChromaStore

    @classmethod
    def load(cls, settings: Settings, threads: int | None = None) -> Components:
        embedder = Embedder(
            settings.model_path, settings.torch_threads if threads is None else threads
        )
        return cls(settings, embedder, ChromaStore(settings.data_dir, settings.collection))

    def ask_service(self) -> AskService:
        answerer = ExtractiveAnswerer(
            self.embedder, self.settings.max_answer_sentences, self.settings.min_answer_score
        )
        return AskService(Retriever(self.store, self.embedder), answerer)

    def ingestor(self, on_error: Callable[[str], None] | None = None) -> Ingestor:
        max_tokens = min(self.settings.chunk_max_tokens, self.embedder.max_tokens)
        chunker = Chunker(
            self.embedder.count_pieces, max_tokens, self.settings.chunk_overlap_tokens
        )
        return Ingestor(
            self.store,
            self.embedder,
            chunker,
            batch_size=self.settings.embed_batch_size,
            on_error=on_error,
        )
