"""Export a sentence-transformers model folder's transformer to ONNX, checked before it is kept.

    python -m rag.models.encoder_export MODEL_FOLDER TARGET.onnx

Run in a child process by :func:`rag.models.encoder_onnx.exported_copy`, so that the serving
process never imports torch. The copy is written beside the target and moved into place only
after its vectors match the torch model's on sample texts (cosine >= 0.99999), so a reader never
sees a half-written or wrong file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SAMPLES = [
    "How much military aid did NATO allies pledge to Ukraine next year?",
    "Container ships were stranded in Rotterdam as the storm closed the port for two days.",
    "Ｗｈｏ spoke?",
]
MIN_COSINE = 0.99999
NAMES = ["input_ids", "attention_mask", "token_type_ids"]


@contextmanager
def scratch_beside(target: Path) -> Iterator[Path]:
    """A file beside ``target``, removed unless it was moved into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(handle)
    try:
        yield Path(scratch)
    finally:
        Path(scratch).unlink(missing_ok=True)


def export_token_vectors(bert: Any, example: dict[str, Any], scratch: Path) -> None:
    """``bert``'s token vectors (``last_hidden_state``) as ONNX with named inputs; pooling is
    done outside, by :class:`~rag.models.encoder_onnx.OnnxEncoder`."""
    import torch

    class Outputs(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state  # type: ignore[no-any-return]

    axes = {name: {0: "batch", 1: "pieces"} for name in [*NAMES, "last_hidden_state"]}
    with torch.inference_mode():
        torch.onnx.export(
            Outputs(bert.eval()),
            tuple(example[name] for name in NAMES),
            str(scratch),
            input_names=NAMES,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def check_vectors(model_folder: Path, scratch: Path, want: list[list[float]]) -> None:
    """The ONNX copy's vectors of the samples must be ``want``, the torch model's, taken before
    the export (tracing leaves a transformers model computing otherwise afterwards)."""
    from rag.models.encoder_onnx import OnnxEncoder

    got = OnnxEncoder(model_folder, scratch, threads=0).embed(SAMPLES)
    worst = min(
        sum(a * b for a, b in zip(g, w, strict=True)) for g, w in zip(got, want, strict=True)
    )
    if worst < MIN_COSINE:
        raise RuntimeError(f"the ONNX copy's vectors differ (cosine {worst:.6f})")


def export(model_folder: Path, target: Path) -> None:
    from rag.adapters.embedder import Embedder

    reference = Embedder(model_folder, threads=0, precision="fp32")
    want = reference.embed(SAMPLES)
    with scratch_beside(target) as scratch:
        export_token_vectors(reference.transformer(), reference.tokenize(SAMPLES[:2]), scratch)
        check_vectors(model_folder, scratch, want)
        os.replace(scratch, target)


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]))
