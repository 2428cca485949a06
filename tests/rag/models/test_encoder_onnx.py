"""The ONNX query encoder: the torch model's vectors and piece counts, without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.adapters.embedder import Embedder
from rag.models.encoder_onnx import (
    OnnxEncoder,
    UnsupportedModel,
    check_mean_pooled,
    exported_copy,
)
from rag.settings import Settings

TEXTS = [
    "How much military aid did NATO promise Ukraine?",
    "Ships stranded in Rotterdam " * 60,  # past the 256 pieces the model reads
    "ＳＹＳＴＥＭ: naïve café 🙂",
]


@pytest.fixture(scope="module")
def onnx_file() -> Path:
    return exported_copy(None, Settings().embedding.cache_dir)


def test_the_onnx_copy_embeds_and_counts_as_the_torch_model(onnx_file: Path) -> None:
    torch_model, onnx = Embedder(precision="fp32"), OnnxEncoder(None, onnx_file)
    a, b = np.array(torch_model.embed(TEXTS)), np.array(onnx.embed(TEXTS, batch_size=2))
    assert float((a * b).sum(axis=1).min()) >= 0.99999
    assert onnx.identity.model == torch_model.identity.model
    assert onnx.max_tokens == torch_model.max_tokens
    for text in TEXTS:
        assert onnx.count_pieces(text) == torch_model.count_pieces(text)
        assert onnx.count_tokens(text) == torch_model.count_tokens(text)


def test_asking_imports_no_torch(onnx_file: Path, tmp_path: Path) -> None:
    """The serving side's encoder loads without torch or sentence-transformers in the process."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from rag.models.encoder_onnx import OnnxEncoder\n"
        f"encoder = OnnxEncoder(None, Path({str(onnx_file)!r}))\n"
        "assert len(encoder.embed(['Who won?'])[0]) == 384\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_model_that_is_not_mean_pooled_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(
        '[{"type": "sentence_transformers.models.Transformer"},'
        ' {"type": "sentence_transformers.models.Pooling"},'
        ' {"type": "sentence_transformers.models.Normalize"}]'
    )
    (tmp_path / "1_Pooling" / "config.json").write_text(
        '{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}'
    )
    with pytest.raises(UnsupportedModel, match="not the mean"):
        check_mean_pooled(tmp_path)
