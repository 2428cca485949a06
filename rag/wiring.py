"""Wiring: build the adapters and services once from Settings."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.adapters.chat_model import ChatModel
from rag.adapters.embedder import (
    Embedder,
    EmbeddingIdentity,
    Encoder,
    default_model_path,
)
from rag.adapters.index_writer import IndexWriter
from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import LAYOUT, ChromaStore
from rag.answering.calibration import load_calibration
from rag.answering.candidates import read_sentences
from rag.answering.evidence import EvidenceModel, load_evidence
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.followup import FollowUps
from rag.answering.grounding import DECLINE_TEXT
from rag.answering.llm_answerer import LLMAnswerer
from rag.answering.prompts import load_prompt
from rag.answering.reader import SHIPPED as SHIPPED_READER
from rag.answering.reader import ReaderJudge, load_judge
from rag.answering.selection import SelectionModel
from rag.answering.service import AskService
from rag.catalogue import Added, Catalogue, add_article
from rag.domain.models import Article
from rag.errors import BylineError, IngestError
from rag.models.encoder_onnx import OnnxEncoder, exported_copy
from rag.models.reader_export import exported_reader
from rag.retrieval.retriever import Retriever
from rag.settings import Settings, Tuning

if TYPE_CHECKING:  # ingest's modules (text decoding and repair) load only where it runs
    from ingest.pipeline import Ingestor, Shard
    from ingest.upgrade import Upgraded

log = logging.getLogger("byline.components")


@dataclass
class Components:
    settings: Settings
    embedder: Encoder  # the store's model: what passages are (and were) embedded with
    store: ChromaStore
    lexical: LexicalIndex

    @classmethod
    def load(cls, settings: Settings, threads: int | None = None) -> Components:
        embedder = load_encoder(settings, threads)
        return cls.of(settings, embedder)

    @classmethod
    def of(
        cls,
        settings: Settings,
        embedder: Encoder,
        store: ChromaStore | None = None,
    ) -> Components:
        """Open the store and its lexical index, and bring the index level with the store."""
        store = store or open_store(settings)
        check_embedding(store.embedding(), embedder.identity)
        lexical = LexicalIndex(settings.store.data_dir, store, read_sentences)
        added, removed = lexical.sync()
        if added or removed:
            log.info("lexical index synced with the store: %d added, %d removed", added, removed)
        components = cls(settings, embedder, store, lexical)
        if note := components.upgrade_note():
            log.warning(
                "this store was written by an earlier release: answers go without what later"
                " layouts add (3: the names read at ingest; 4: copies of one wire story grouped)"
                " until you %s",
                note,
            )
        return components

    def retriever(self, tuning: Tuning | None = None) -> Retriever:
        tuning = tuning or self.settings.retrieval.tuning
        return Retriever(self.store, self.lexical, self.embedder, tuning)

    def ask_service(self, evidence: EvidenceModel | None = None) -> AskService:
        """``evidence``: weigh candidates with this model rather than the setting's (training)."""
        settings = self.settings
        if evidence is None and settings.answering.evidence == "on":
            evidence = load_evidence()
        calibration = load_calibration() if settings.answering.calibration == "on" else None
        if calibration is not None and calibration.about.get("reader") not in (
            None,
            settings.answering.reader,
        ):
            log.warning(
                "the calibration was fitted with BYLINE_READER=%s and this service runs with %s:"
                " its confidence is read off answers it was not fitted on",
                calibration.about["reader"],
                settings.answering.reader,
            )
        extractive = ExtractiveAnswerer(
            settings.answering.max_answer_sentences,
            settings.answering.min_answer_confidence,
            judge=load_reader_judge(settings),
            calibration=calibration,
            short_answers=settings.answering.short_answer == "on",
            evidence=evidence,
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

    def upgrade_note(self) -> str | None:
        """What to run when the store is of an earlier layout (None: it is this release's)."""
        layout = self.store.layout()
        return f"run `byline upgrade` (layout {layout} → {LAYOUT})" if layout < LAYOUT else None

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.lexical)

    def add_article(self, record: dict[str, Any]) -> Added:
        return add_article(self.ingestor(), record)

    def ingestor(
        self, on_error: Callable[[str], None] | None = None, shard: Shard | None = None
    ) -> Ingestor:
        from ingest.chunker import Chunker
        from ingest.pipeline import Ingestor
        from rag.adapters.name_tagger import NameTagger

        max_tokens = min(self.settings.ingest.chunk_max_tokens, self.embedder.max_tokens)
        chunker = Chunker(
            self.embedder.count_pieces, max_tokens, self.settings.ingest.chunk_overlap_tokens
        )
        return Ingestor(
            IndexWriter(self.store, self.lexical, self.embedder.identity),
            self.embedder,
            chunker,
            batch_size=self.settings.ingest.embed_batch_size,
            on_error=on_error,
            shard=shard,
            max_chars=self.settings.ingest.max_article_chars,
            tagger=NameTagger(),
        )


def check_embedding(recorded: EmbeddingIdentity | None, mine: EmbeddingIdentity) -> None:
    """At start-up: queries embedded by another model would find nothing comparable (an
    error); another precision of the same model finds the same (its vectors' cosines to the
    store's are >= 0.9999, measured), and the start-up log says which is which."""
    if recorded is None:
        return
    mine.require_same_model(recorded, "set BYLINE_MODEL_PATH to the store's model, or re-ingest")
    if recorded.precision != mine.precision:
        log.info(
            "this store's vectors were made in %s and queries are embedded in %s: the same"
            " model, cosines within 0.0001 (BYLINE_EMBED_PRECISION=%s matches it exactly)",
            recorded.precision,
            mine.precision,
            recorded.precision,
        )


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(
        settings.store.data_dir,
        settings.store.collection,
        settings.store.chroma_url,
        settings.store.chroma_timeout_s,
    )


def load_encoder(settings: Settings, threads: int | None = None) -> Encoder:
    """For answering (serve, ask, eval): the model's ONNX copy, with no torch in the process;
    torch where the setting says so, or (auto) where the copy cannot be had."""
    embedding = settings.embedding
    if embedding.query_encoder != "torch":
        try:
            onnx_file = exported_copy(embedding.model_path, embedding.cache_dir)
            threads = embedding.query_threads if threads is None else threads
            return OnnxEncoder(embedding.model_path, onnx_file, threads)
        except (BylineError, OSError, subprocess.TimeoutExpired) as exc:
            if embedding.query_encoder == "onnx":
                raise BylineError(f"BYLINE_QUERY_ENCODER=onnx: {exc}") from exc
            log.warning("no ONNX copy of the model (%s); embedding with torch", exc)
    return load_embedder(settings, threads)


def serving_threshold(settings: Settings) -> float:
    """The confidence under which the extractive answerer declines with these settings."""
    answering = settings.answering
    if answering.min_answer_confidence is not None:
        return answering.min_answer_confidence
    if answering.calibration == "on":
        return load_calibration().threshold
    judge = load_reader_judge(settings)
    return judge.threshold if judge is not None else SelectionModel.load().threshold


def load_reader_judge(settings: Settings) -> ReaderJudge | None:
    """The shipped reader (BYLINE_READER=on), its files checked by hash; a missing or
    mismatched file is an error here, never a silent fall back to the cheap ranker."""
    answering = settings.answering
    if answering.reader == "off":
        return None
    base = settings.embedding.model_path or default_model_path()
    folder = answering.reader_dir or SHIPPED_READER
    try:
        onnx_file = exported_reader(folder, base, settings.embedding.cache_dir)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BylineError(
            f"the reader in {folder} could not be loaded ({exc}); BYLINE_READER=off answers"
            " without it"
        ) from exc
    return load_judge(folder, base, onnx_file, answering.reader_threads)


def load_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """The embedding model; ``threads`` other than the query setting (ingest uses its own)."""
    embedding = settings.embedding
    threads = embedding.query_threads if threads is None else threads
    return Embedder(embedding.model_path, threads, embedding.embed_precision)


def upgrade_store(settings: Settings, progress: Callable[[int], None]) -> Upgraded:
    """`byline upgrade`: the store brought to this release's layout, its lexical table with it."""
    from ingest.upgrade import upgrade
    from rag.adapters.name_tagger import NameTagger

    store = open_store(settings)
    lexical = LexicalIndex(settings.store.data_dir, store, read_sentences)
    return upgrade(store, lexical, NameTagger(), progress)


@contextmanager
def ingest_session(
    settings: Settings, shard: str | None, on_error: Callable[[str], None]
) -> Iterator[Ingestor]:
    """An ingestor for the command line: the embedded store's write lock is taken before the
    model loads, so that a second writer fails in a moment, not after seconds."""
    from ingest.pipeline import Shard

    try:
        owned = Shard.parse(shard) if shard else None
    except ValueError as exc:
        raise BylineError(str(exc)) from None
    store = open_store(settings)
    with store.sync.writing():
        embedder = load_embedder(settings, settings.ingest.ingest_threads)
        components = Components.of(settings, embedder, store)
        yield components.ingestor(on_error=on_error, shard=owned)


def article_inputs(
    settings: Settings, inputs: Sequence[str], on_note: Callable[[str], None]
) -> Iterator[Article | IngestError]:
    """What `byline ingest` is given, read (and fetched) in order: articles or rejections."""
    from ingest.inputs import read_inputs

    return read_inputs(inputs, settings.ingest.fetch, on_note)


def dry_run_record(article: Article) -> dict[str, Any]:
    """One line of `byline ingest --dry-run --jsonl`."""
    from ingest.inputs import dry_run_record as record

    return record(article)


def watch_feeds(
    settings: Settings,
    feeds: Sequence[str],
    on_error: Callable[[str], None],
    on_poll: Callable[[str], None],
    once: bool,
    interval_s: float,
    metrics_port: int | None = None,
) -> int:
    """`byline watch`: poll until stopped (or once); the last poll's failures. The store's write
    lock is taken per batch, never for the watcher's whole run."""
    from ingest.fetch import Fetcher
    from ingest.watch import Watcher, WatchMetrics

    metrics = WatchMetrics()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=metrics.registry)
    store = open_store(settings)
    embedder = load_embedder(settings, settings.ingest.ingest_threads)
    ingestor = Components.of(settings, embedder, store).ingestor(on_error=on_error)
    with Fetcher(settings.ingest.fetch) as fetcher:
        watcher = Watcher(
            settings.ingest.watch, settings.store.data_dir, fetcher, ingestor, metrics, on_error
        )
        while True:
            summary = watcher.poll(feeds)
            on_poll(summary.line())
            if once:
                return summary.failed
            time.sleep(interval_s)
