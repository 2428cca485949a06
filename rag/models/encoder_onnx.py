"""The lean query path: the same model, exported once to ONNX, run without torch.

Serving and ``byline ask`` embed one question at a time; importing torch and
sentence-transformers for that costs seconds at start and most of a gigabyte resident. This
encoder reads the model folder's own tokenizer (``tokenizer.json``, Rust) and runs an ONNX copy
of its transformer with onnxruntime, then pools and normalises as the folder's modules say
(mean of the token vectors, unit length). Its vectors are the fp32 model's (cosine 1.0000 in
the test) and within 0.0001 of the bf16 ingest's.

The copy is exported from the folder by :mod:`rag.models.encoder_export` in a child process
(torch stays out of this one), once per model, into the cache dir, and checked against the
torch model there before it is kept.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.adapters.embedder import EmbeddingIdentity, PieceCounter, default_model_path
from rag.errors import BylineError

log = logging.getLogger("byline.embedder")
EXPORT_TIMEOUT_S = 600.0


class UnsupportedModel(BylineError):
    """The folder's modules are not a transformer with mean pooling and normalisation."""


def check_mean_pooled(path: Path) -> None:
    modules = [
        m["type"].rsplit(".", 1)[-1] for m in json.loads((path / "modules.json").read_text())
    ]
    if modules != ["Transformer", "Pooling", "Normalize"]:
        raise UnsupportedModel(f"{path}: modules {modules}, not Transformer, Pooling, Normalize")
    pooling = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if (
        not pooling.get("pooling_mode_mean_tokens")
        or sum(bool(v) for k, v in pooling.items() if k.startswith("pooling_mode_")) != 1
    ):
        raise UnsupportedModel(f"{path}: pooling is not the mean of the token vectors alone")


def exported_copy(model_path: Path | None, cache_dir: Path) -> Path:
    """The ONNX copy of the model, exported (in a child process) when it is not there yet."""
    path = model_path or default_model_path()
    check_mean_pooled(path)
    identity = EmbeddingIdentity.of_folder(path, "fp32")
    target = cache_dir / "onnx" / f"{identity.model}.onnx"
    if target.is_file():
        return target
    log.info("exporting %s to ONNX once, into %s", identity.model, target)
    return export_in_child("rag.models.encoder_export", [str(path), str(target)], target, "model")


def export_in_child(module: str, arguments: list[str], target: Path, what: str) -> Path:
    """``python -m module ARGUMENTS``: an exporter that moves ``target`` into place only once
    it checks out, run apart so that this process never imports torch."""
    done = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        capture_output=True,
        text=True,
        timeout=EXPORT_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0 or not target.is_file():
        raise BylineError(f"exporting the {what} to ONNX failed: {done.stderr.strip()[-500:]}")
    return target


class OnnxEncoder:
    """Embeds text and counts word pieces like :class:`~rag.adapters.embedder.Embedder`."""

    precision = "fp32"
    runtime = "onnx"

    def __init__(self, model_path: Path | None, onnx_file: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_path = model_path or default_model_path()
        self.identity = EmbeddingIdentity.of_folder(self.model_path, self.precision)
        config = json.loads(
            (self.model_path / "sentence_bert_config.json").read_text(encoding="utf-8")
        )
        self._max_tokens = int(config["max_seq_length"])
        self._counter = PieceCounter(Tokenizer.from_file(str(self.model_path / "tokenizer.json")))
        self._batches: Any = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        self._batches.enable_truncation(self._max_tokens)
        self._batches.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's choice (all cores)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False  # its arena only grows: hundreds of MiB under load
        self._session: Any = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        log.info("embedding queries with %s in fp32 (ONNX, %s)", self.identity.model, onnx_file)

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._counter.count_tokens(text)

    def count_pieces(self, text: str) -> int:
        return self._counter.count_pieces(text)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), batch_size):
            vectors += self._embed_batch(list(texts[start : start + batch_size]))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        encoded = self._batches.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        (tokens,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.tolist()  # type: ignore[no-any-return]
