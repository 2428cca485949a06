"""The built BM25 matrix kept on disk, one per store version, so a new process need not build it.

Building the searchable form of 76k chunks takes about six seconds; every ``byline ask`` and every
API worker would pay it at start. The first process to build it for a change token saves it
beside the lexical table (``lexical.bm25/<token hash>/``); the next one with the same token loads
it, memory-mapped (so API workers on one host share its pages). A store that has been written
since has another token, so a stale matrix is never read. Written to a scratch dir and renamed
into place: a reader never sees half of one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from rag.domain.models import stable_hash

log = logging.getLogger("byline.lexical")


@dataclass
class Searchable:
    ids: list[str]
    published_ts: npt.NDArray[np.int64]
    outlet_keys: npt.NDArray[np.str_]
    outlets: frozenset[str]
    position: dict[str, int]
    vocab: dict[str, int]
    bm25: bm25s.BM25 | None


class Bm25Cache:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _slot(self, token: str) -> Path:
        return self._directory / stable_hash(token)[:16]

    def load(self, token: str) -> Searchable | None:
        slot = self._slot(token)
        if not (slot / "meta.npz").is_file():
            return None
        try:
            with np.load(slot / "meta.npz") as meta:
                ids = [str(i) for i in meta["ids"]]
                published_ts = meta["published_ts"].astype(np.int64)
                outlet_keys = meta["outlet_keys"]
                outlets = frozenset(str(o) for o in meta["outlets"])
            vocab = json.loads((slot / "vocab.json").read_text(encoding="utf-8"))
            bm25 = None
            if (slot / "bm25").is_dir():
                bm25 = bm25s.BM25.load(
                    str(slot / "bm25"), mmap=True, load_vocab=False, show_progress=False
                )
        except (OSError, ValueError, KeyError) as exc:
            log.warning("the saved BM25 matrix in %s is unreadable (%s); rebuilding", slot, exc)
            return None
        position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        return Searchable(ids, published_ts, outlet_keys, outlets, position, vocab, bm25)

    def save(self, token: str, searchable: Searchable) -> None:
        """Keep ``searchable`` for ``token``, and drop the matrices of older versions."""
        slot = self._slot(token)
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=self._directory, prefix=".building-"))
            np.savez(
                scratch / "meta.npz",
                ids=np.array(searchable.ids, dtype=np.str_),
                published_ts=searchable.published_ts,
                outlet_keys=searchable.outlet_keys,
                outlets=np.array(sorted(searchable.outlets), dtype=np.str_),
            )
            (scratch / "vocab.json").write_text(json.dumps(searchable.vocab), encoding="utf-8")
            if searchable.bm25 is not None:
                searchable.bm25.save(str(scratch / "bm25"), show_progress=False)
            try:
                os.rename(scratch, slot)
            except OSError:  # another process saved this version first
                shutil.rmtree(scratch, ignore_errors=True)
        except OSError as exc:
            log.warning("could not save the BM25 matrix in %s (%s)", self._directory, exc)
            return
        for other in self._directory.iterdir():
            if other != slot and not other.name.startswith(".building-"):
                shutil.rmtree(other, ignore_errors=True)
