"""Export a sentence-transformers model folder's transformer to ONNX, checked before it is kept.

    python -m rag.adapters.onnx_export MODEL_FOLDER TARGET.onnx

Run in a child process by :func:`rag.adapters.onnx_encoder.exported_copy`, so that the serving
process never imports torch. The copy is written beside the target and moved into place only
after its vectors match the torch model's on sample texts (cosine >= 0.99999), so a reader never
sees a half-written or wrong file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SAMPLES = [
    "How much military aid did NATO allies pledge to Ukraine next year?",
    "Container ships were stranded in Rotterdam as the storm closed the port for two days.",
    "Ｗｈｏ spoke?",
]
MIN_COSINE = 0.99999


def export(model_folder: Path, target: Path) -> None:
    import torch

    from rag.adapters.embedder import Embedder
    from rag.adapters.onnx_encoder import OnnxEncoder

    reference = Embedder(model_folder, threads=0, precision="fp32")
    transformer: torch.nn.Module = reference.transformer()

    class Outputs(torch.nn.Module):
        """The token vectors alone, with named inputs (pooling is done outside)."""

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

    example = reference.tokenize(SAMPLES[:2])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "pieces"} for name in [*names, "last_hidden_state"]}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(handle)
    try:
        with torch.inference_mode():
            torch.onnx.export(
                Outputs(transformer.eval()),
                tuple(example[name] for name in names),
                scratch,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        got = OnnxEncoder(model_folder, Path(scratch), threads=0).embed(SAMPLES)
        want = reference.embed(SAMPLES)
        worst = min(
            sum(a * b for a, b in zip(g, w, strict=True)) for g, w in zip(got, want, strict=True)
        )
        if worst < MIN_COSINE:
            raise RuntimeError(f"the ONNX copy's vectors differ (cosine {worst:.6f})")
        os.replace(scratch, target)
    finally:
        Path(scratch).unlink(missing_ok=True)


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]))
