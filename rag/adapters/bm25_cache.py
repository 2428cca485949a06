"""The built BM25 matrix kept on disk, one per store version, so a new process need not build it.

Building the searchable form of 76k chunks takes about six seconds; every ``byline ask`` and every
API worker would pay it at start. The first process to build it for a change token saves it
beside the lexical table (``lexical.bm25/<token hash>/``); the next one with the same token loads
it, memory-mapped (so API workers on one host share its pages). A store that has been written
since has another token, so a stale matrix is never read. Written to a scratch dir and renamed
into place: a reader never sees half of one.

bm25s builds the matrix (each term's BM25 weight in each chunk, a sparse column per term); a
query's scores are the sum of its terms' columns, which numpy does here, so a process that only
searches never imports bm25s and scipy (a quarter of a second of every ``byline ask``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.domain.models import stable_hash

log = logging.getLogger("byline.lexical")
FORMAT = "2"  # of a saved slot: 2 is the score matrix's own arrays (1 was bm25s's folder)
_ARRAYS = ("data", "indices", "indptr")


@dataclass(frozen=True)
class ScoreMatrix:
    """Each term's BM25 weights, by chunk: term ``t``'s chunks are ``indices[indptr[t]:indptr
    [t + 1]]``, their weights the same slice of ``data`` (bm25s's eager score matrix)."""

    data: npt.NDArray[np.float32]
    indices: npt.NDArray[np.int32]
    indptr: npt.NDArray[np.int64]
    chunks: int

    @classmethod
    def of(cls, scores: dict[str, Any]) -> ScoreMatrix:
        """From a built ``bm25s.BM25``'s ``scores``."""
        return cls(scores["data"], scores["indices"], scores["indptr"], int(scores["num_docs"]))

    def scores(self, term_ids: list[int]) -> npt.NDArray[np.float32]:
        """Each chunk's BM25 score for these terms (a repeated term counts again), as bm25s
        scores them."""
        summed = np.zeros(self.chunks, dtype=np.float32)
        if term_ids:
            spans = [slice(self.indptr[t], self.indptr[t + 1]) for t in term_ids]
            np.add.at(
                summed,
                np.concatenate([self.indices[s] for s in spans]),
                np.concatenate([self.data[s] for s in spans]),
            )
        return summed


@dataclass
class Searchable:
    ids: list[str]
    published_ts: npt.NDArray[np.int64]
    outlet_keys: npt.NDArray[np.str_]
    outlets: frozenset[str]
    position: dict[str, int]
    vocab: dict[str, int]
    bm25: ScoreMatrix | None


class Bm25Cache:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _slot(self, token: str) -> Path:
        return self._directory / stable_hash(FORMAT, token)[:16]

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
            if (slot / "chunks.json").is_file():
                data, indices, indptr = (
                    np.load(slot / f"{name}.npy", mmap_mode="r") for name in _ARRAYS
                )
                chunks = int(json.loads((slot / "chunks.json").read_text(encoding="utf-8")))
                bm25 = ScoreMatrix(data, indices, indptr, chunks)
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
            if (matrix := searchable.bm25) is not None:
                for name in _ARRAYS:
                    np.save(scratch / f"{name}.npy", getattr(matrix, name))
                (scratch / "chunks.json").write_text(str(matrix.chunks), encoding="utf-8")
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
