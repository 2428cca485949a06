"""Embedding precision: bf16 where the CPU has native bf16, fp32 elsewhere, and a store that
knows what its vectors were made with."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from rag.adapters.embedder import Embedder, EmbeddingIdentity, resolve_precision
from rag.adapters.index_writer import MIXED, embedding_to_record
from rag.errors import EmbeddingMismatch
from rag.retrieval.retriever import Query
from tests.conftest import SEEDS, components_at

TEXTS = [
    "NATO allies pledged at least €40 billion in military aid to Ukraine next year.",
    "Container ships were stranded in Rotterdam as the storm closed the port.",
    "Wie viele Schiffe lagen fest?",
]


def test_auto_picks_bf16_only_on_a_cpu_with_native_bf16() -> None:
    assert resolve_precision("auto", frozenset({"avx2", "avx512f"})) == "fp32"
    assert resolve_precision("auto", frozenset()) == "fp32"  # flags unreadable
    assert resolve_precision("auto", frozenset({"avx512f", "avx512_bf16"})) == "bf16"
    assert resolve_precision("auto", frozenset({"amx_bf16"})) == "bf16"
    assert resolve_precision("fp32", frozenset({"amx_bf16"})) == "fp32"  # forced
    with pytest.raises(ValueError, match="auto, fp32 or bf16"):
        resolve_precision("int4")


def test_bf16_vectors_match_their_fp32_twins() -> None:
    fp32, bf16 = Embedder(precision="fp32"), Embedder(precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert fp32.identity.model == bf16.identity.model
    a, b = np.array(fp32.embed(TEXTS)), np.array(bf16.embed(TEXTS))
    assert a.dtype == b.dtype == np.float64  # plain floats for Chroma either way
    assert float((a * b).sum(axis=1).min()) >= 0.999


def test_a_store_records_its_embedding_and_refuses_another_models(tmp_path: Path) -> None:
    embedder = Embedder(precision="fp32", threads=0)
    components = components_at(tmp_path / "data", embedder)
    assert components.store.embedding() is None  # nothing written yet
    components.ingestor().ingest_paths([SEEDS])
    assert components.store.embedding() == embedder.identity
    # Forced fp32 (as on a CPU without bf16) answers end to end.
    answer = components.ask_service().ask(Query("How much military aid did NATO promise?", 5))
    assert not answer.declined and answer.citations
    components.store.record_embedding(EmbeddingIdentity("another-model@0", "fp32"))
    with pytest.raises(EmbeddingMismatch, match="made by another-model@0"):
        components_at(tmp_path / "data", embedder)


def test_a_store_from_before_the_record_is_taken_as_fp32(caplog: pytest.LogCaptureFixture) -> None:
    bf16 = EmbeddingIdentity("m@1", "bf16")
    assert embedding_to_record(None, bf16, stored_chunks=0) == bf16  # a new store
    with caplog.at_level(logging.WARNING, logger="byline.ingest"):
        mixed = embedding_to_record(None, bf16, stored_chunks=10)  # written before records
    assert mixed == EmbeddingIdentity("m@1", MIXED)
    assert "BYLINE_EMBED_PRECISION=fp32" in caplog.text
    assert embedding_to_record(mixed, bf16, 10) == mixed
    fp32 = EmbeddingIdentity("m@1", "fp32")
    assert embedding_to_record(fp32, fp32, stored_chunks=5) == fp32
    with pytest.raises(EmbeddingMismatch, match="ingest into another data dir"):
        embedding_to_record(EmbeddingIdentity("other@2", "bf16"), bf16, 10)
