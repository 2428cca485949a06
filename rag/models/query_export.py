"""Export the trained question encoder to ONNX, checked before it is kept.

    python -m rag.models.query_export MODEL_FOLDER BASE_MODEL_FOLDER TARGET.onnx

Run in a child process by :func:`exported_query_encoder`, so that the serving process never
imports torch. The copy has the base model's inputs and outputs (token vectors, pooled outside
by :class:`~rag.models.encoder_onnx.OnnxEncoder`), and is moved into place only after its
vectors match the torch encoder's on sample questions (cosine >= 0.99999).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from rag.errors import BylineError
from rag.models.encoder_export import (
    SAMPLES,
    check_vectors,
    export_token_vectors,
    scratch_beside,
)
from rag.models.encoder_onnx import export_in_child
from rag.models.files import check_files_once
from rag.models.shipped import query_encoder_files

log = logging.getLogger("byline.embedder")


def exported_query_encoder(folder: Path | None, base_folder: Path, cache_dir: Path) -> Path:
    """The question encoder's ONNX copy, exported once (in a child process) after its files
    are checked (by hash, again whenever either file's size or modification time changes)."""
    files = query_encoder_files(folder)
    meta = files.meta()
    target = cache_dir / "onnx" / f"query-encoder-{str(meta['weights_sha256'])[:16]}.onnx"
    check_files_once(files, base_folder, meta, target.with_suffix(".checked.json"))
    if target.is_file():
        return target
    log.info("exporting the question encoder to ONNX once, into %s", target)
    arguments = [str(files.folder), str(base_folder), str(target)]
    return export_in_child("rag.models.query_export", arguments, target, "question encoder")


def export(folder: Path, base_folder: Path, target: Path) -> None:
    import torch

    from rag.models.query_torch import encode, load_tower, question_tokenizer

    model = load_tower(query_encoder_files(folder), base_folder)
    tokenizer = question_tokenizer(base_folder)

    with torch.inference_mode():
        want = model(**encode(tokenizer, SAMPLES)).tolist()
    with scratch_beside(target) as scratch:
        export_token_vectors(model.bert, encode(tokenizer, SAMPLES[:2]), scratch)
        check_vectors(base_folder, scratch, want)
        os.replace(scratch, target)


if __name__ == "__main__":
    try:
        export(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    except (BylineError, RuntimeError, OSError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
