"""Export the shipped reader to ONNX, checked before it is kept.

    python -m rag.models.reader_export READER_FOLDER BASE_MODEL_FOLDER TARGET.onnx

Run in a child process by :func:`exported_reader`, so that the serving process never imports
torch. The copy is moved into place only after its scores match the torch reader's on sample
pairs (to 1e-3 of a logit), so a reader never sees a half-written or wrong file.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from rag.errors import BylineError
from rag.models.encoder_onnx import export_in_child
from rag.models.files import check_files_once
from rag.models.shipped import reader_files

log = logging.getLogger("byline.reader")

MAX_DIFFERENCE = 1e-3
SAMPLES = [
    ("Who leads NATO?", "Mark Rutte, NATO's secretary general, said the plan was sound. | NATO"),
    ("How many ships were stranded?", "Twelve container ships waited outside Rotterdam. | Port"),
]


def exported_reader(reader_folder: Path, base_folder: Path, cache_dir: Path) -> Path:
    """The reader's ONNX copy, exported once (in a child process) after its files are checked
    (by hash, again whenever either file's size or modification time changes)."""
    files = reader_files(reader_folder)
    meta = files.meta()
    target = cache_dir / "onnx" / f"reader-{str(meta['weights_sha256'])[:16]}.onnx"
    check_files_once(files, base_folder, meta, target.with_suffix(".checked.json"))
    if target.is_file():
        return target
    log.info("exporting the reader to ONNX once, into %s", target)
    arguments = [str(reader_folder), str(base_folder), str(target)]
    return export_in_child("rag.models.reader_export", arguments, target, "reader")


def export(reader_folder: Path, base_folder: Path, target: Path) -> None:
    import torch

    from rag.models.reader_onnx import Reader
    from rag.models.reader_torch import load_reader

    files = reader_files(reader_folder)
    meta = files.meta()
    model = load_reader(files, base_folder)
    tokenizer = Reader.tokenizer(base_folder, int(meta["max_length"]))
    encoded = tokenizer.encode_batch(SAMPLES)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = (
        torch.tensor([e.ids for e in encoded]),
        torch.tensor([e.attention_mask for e in encoded]),
        torch.tensor([e.type_ids for e in encoded]),
    )
    axes = {name: {0: "batch", 1: "pieces"} for name in names}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(handle)
    try:
        with torch.inference_mode():
            want = model(*example).double().numpy()
            torch.onnx.export(
                model,
                example,
                scratch,
                input_names=names,
                output_names=["logits"],
                dynamic_axes={**axes, "logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        got = Reader(base_folder, Path(scratch), int(meta["max_length"]), threads=1)
        scores = [got.scores(q, [t])[0] for q, t in SAMPLES]
        worst = max(abs(a - b) for a, b in zip(scores, want, strict=True))
        if worst > MAX_DIFFERENCE:
            raise RuntimeError(f"the ONNX reader's scores differ by {worst:.5f}")
        os.replace(scratch, target)
    finally:
        Path(scratch).unlink(missing_ok=True)


if __name__ == "__main__":
    try:
        export(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    except (BylineError, RuntimeError, OSError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
