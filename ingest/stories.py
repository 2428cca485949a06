"""Copies of one wire story, grouped at ingest: MinHash over word shingles (datasketch), with
locality-sensitive hashing to find the candidates and the estimated Jaccard similarity to admit
them.

An AP or Reuters story runs in many outlets with a new headline, a rewritten lead, a sentence
cut: most of its five-word shingles survive, while two stories on one topic share few. Each
article joins the story of the most similar stored article at or above the threshold, or starts
its own; a story's id is the id of the first article stored in it and never changes, so nothing
stored is rewritten when a copy arrives. The stored articles are found by their LSH band keys,
which every article's first chunk records (``story_bands``) and the lexical table indexes: an
ingest (or one ``POST /articles``) reads the few stored candidates, never every article. Which
copy reported first is read from the members' dates when an answer is shown
(``rag.domain.stories``).

The signature is read from the article's chunk texts (not its body), so that `byline upgrade`
computes the same signature from a stored article as ingest did from the file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5
SEED = 1
# Chosen on the choosing half of the wire-copy set (`byline eval stories`, eval/stories.py):
# F1 0.992 at 0.3, 0.994 at 0.4, 0.997 at 0.5, 0.985 at 0.6.
THRESHOLD = 0.5
# A text under this many words has too few shingles to tell a copy from a coincidence.
MIN_WORDS = 40
FIELD = "story"  # every chunk: the story's id
SIGNATURE_FIELD = "minhash"  # an article's first chunk: its signature
BANDS_FIELD = "story_bands"  # an article's first chunk: its LSH band keys, space-separated
_WORD = re.compile(r"\w+")
SCHEME = "affine32"  # datasketch 2's 32-bit hashing: its values fit uint32 exactly
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


def signature(texts: Iterable[str]) -> MinHash | None:
    """The MinHash of the shingles of ``texts`` (an article's chunks); None when too short."""
    shingles: set[bytes] = set()
    words = 0
    for text in texts:
        tokens = _WORD.findall(text.casefold())
        words += len(tokens)
        shingles.update(
            " ".join(tokens[i : i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)
        )
    if words < MIN_WORDS or not shingles:
        return None
    hashed = MinHash(
        num_perm=NUM_PERM, seed=SEED, permutations=_TEMPLATE.permutations, scheme=SCHEME
    )
    hashed.update_batch(list(shingles))
    return hashed


def encode(hashed: MinHash) -> str:
    return base64.b64encode(np.asarray(hashed.hashvalues, dtype=np.uint32).tobytes()).decode()


# The banding datasketch chooses for the threshold (25 bands of 5 rows at 0.5).
_BANDING = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)


def band_keys(hashed: MinHash) -> str:
    """The signature's LSH band keys, space-separated: two articles that share one are
    candidates (as datasketch's own index would find them)."""
    values = np.asarray(hashed.hashvalues, dtype=np.uint32)
    rows = _BANDING.r
    return " ".join(
        f"{band}:{hashlib.sha1(values[band * rows : (band + 1) * rows].tobytes()).hexdigest()[:16]}"
        for band in range(_BANDING.b)
    )


# (article id, story, encoded signature) of the stored articles that share a band key.
StoredCandidates = Callable[[list[str]], list[tuple[str, str, str]]]


def decode(text: object) -> MinHash | None:
    """The signature a chunk's metadata holds (None: none, or not one of this layout)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        values = np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint32)
    except ValueError:
        return None
    if len(values) != NUM_PERM:
        return None
    return MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashvalues=values,
        permutations=_TEMPLATE.permutations,
        scheme=SCHEME,
    )


class StoryIndex:
    """Signatures, searchable; which story each article belongs to. ``stored`` finds the stored
    candidates of an article (ingest: the lexical table's band keys); without it, the index
    knows only the articles put in it (``byline upgrade`` puts every one)."""

    def __init__(
        self, threshold: float = THRESHOLD, stored: StoredCandidates | None = None
    ) -> None:
        self.threshold = threshold
        self._stored = stored
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}
        self._story: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._story)

    def known(self, article_id: str, story: str, hashed: MinHash | None) -> None:
        """An article stored before, in the story it was given then."""
        self._put(article_id, story, hashed)

    def assign(self, article_id: str, hashed: MinHash | None) -> str:
        """The story of a newly stored (or changed) article: the most similar stored copy's
        at or above the threshold, else its own id."""
        self._forget(article_id)
        story = article_id
        if hashed is not None:
            best = 0.0
            for other_story, other in self._candidates(article_id, hashed):
                similarity = hashed.jaccard(other)
                if similarity >= self.threshold and similarity > best:
                    best, story = similarity, other_story
        self._put(article_id, story, hashed)
        return story

    def _candidates(self, article_id: str, hashed: MinHash) -> list[tuple[str, MinHash]]:
        """(story, signature) of the articles put here or stored that share a band with it."""
        found = [(self._story[o], self._signatures[o]) for o in self._lsh.query(hashed)]
        if self._stored is not None:
            for other, story, signed in self._stored(band_keys(hashed).split()):
                other_signature = decode(signed)
                if other != article_id and other not in self._story and other_signature:
                    found.append((story, other_signature))
        return found

    def _put(self, article_id: str, story: str, hashed: MinHash | None) -> None:
        self._forget(article_id)
        self._story[article_id] = story
        if hashed is not None:
            self._signatures[article_id] = hashed
            self._lsh.insert(article_id, hashed)

    def _forget(self, article_id: str) -> None:
        if article_id in self._signatures:
            self._lsh.remove(article_id)
            del self._signatures[article_id]
        self._story.pop(article_id, None)
