"""The reader's ONNX copy on onnxruntime: scores (question, candidate text) pairs, a logit each.

The pair is tokenized as the base model's tokenizer pairs two texts, the longer one (the
candidate) cut first when the pair is longer than the reader reads; no torch is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


class Reader:
    """Scores pairs with the exported reader; a logit each."""

    def __init__(self, model_path: Path, onnx_file: Path, max_length: int, threads: int) -> None:
        import onnxruntime

        self._tokenizer = self.tokenizer(model_path, max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False
        self._session: Any = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )

    @staticmethod
    def tokenizer(model_path: Path, max_length: int) -> Any:
        """The base model's tokenizer, cutting a long pair from its longer text first."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        # The longer text is cut first: the candidate, but a question longer than the whole
        # budget would leave it nothing (onnx and tokenizers refuse that), so it is cut too.
        tokenizer.enable_truncation(max_length, strategy="longest_first")
        return tokenizer

    def scores(self, question: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        if not texts:
            return np.zeros(0)
        encoded = self._tokenizer.encode_batch([(question, text) for text in texts])
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (logits,) = self._session.run(None, feed)
        return np.asarray(logits, dtype=np.float64).reshape(-1)
