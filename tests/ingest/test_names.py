"""Names read once, at ingest: every chunk's named entities in Chroma's metadata, the lexical
table's sentences carrying them, and ``byline upgrade`` bringing a store of the previous layout
to this one without embedding anything again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.adapters.name_tagger import SHA256, check_model, model_folder
from rag.adapters.store import LAYOUT
from rag.cli import main
from rag.domain import names
from rag.errors import BylineError
from rag.wiring import Components
from tests.conftest import SEEDS, components_at, serving


def _metadata(components: Components) -> dict[str, dict[str, object]]:
    got = components.store._current().get(include=["metadatas"])
    return {i: dict(m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}


def _sentence_names(components: Components) -> dict[str, set[tuple[str, str]]]:
    ids = {str(m["article_id"]) for m in _metadata(components).values()}
    held: dict[str, set[tuple[str, str]]] = {}
    for chunks in components.lexical.article_chunks(sorted(ids)).values():
        for chunk in chunks:
            for sentence in chunk.sentences:
                held[sentence.text] = {(n.text, n.label) for n in sentence.names}
    return held


def test_ingest_stores_every_chunks_names_and_the_lexical_table_reads_them(
    fresh: Components,
) -> None:
    fresh.ingestor().ingest_paths([SEEDS])
    assert fresh.store.layout() == LAYOUT
    metadata = _metadata(fresh)
    for chunk_id, meta in metadata.items():
        spans = names.decode(meta[names.FIELD])
        assert spans, f"{chunk_id}: no names"
        text = fresh.store.documents([chunk_id])[0][1]
        assert all(0 <= a < b <= len(text) for a, b, _ in spans)
    people = {
        text[a:b]
        for chunk_id, meta in metadata.items()
        for text in [fresh.store.documents([chunk_id])[0][1]]
        for a, b, label in names.decode(meta[names.FIELD]) or ()
        if label == "PERSON"
    }
    assert "Mark Rutte" in people
    # Each quotable sentence holds the names inside it, and no name from another sentence.
    held = _sentence_names(fresh)
    rutte = [s for s in held if "Mark Rutte" in s]
    assert rutte and all(("Mark Rutte", "PERSON") in held[s] for s in rutte)
    for sentence, found in held.items():
        assert all(name in sentence for name, _ in found)


def test_upgrade_reads_the_names_of_an_earlier_store_in_place(
    tmp_path: Path, embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    older = components_at(data, embedder)  # type: ignore[arg-type]
    older.ingestor().ingest_paths([SEEDS])
    # What the previous release wrote: no names (None deletes a key in Chroma), layout 2, and
    # a lexical table of its own layout (this release reads the store into its own).
    bare = {i: {**meta, names.FIELD: None} for i, meta in _metadata(older).items()}
    older.store.rewrite_metadata(bare)
    older.store.record_layout(2)
    vectors = older.store.vectors(sorted(bare))
    for table in data.glob("lexical.*"):
        table.unlink()
    older = components_at(data, embedder)  # type: ignore[arg-type]
    assert all(names.FIELD not in meta for meta in _metadata(older).values())
    assert all(not found for found in _sentence_names(older).values())
    with serving(older.settings) as client:  # the service says so, and names the command
        assert "byline upgrade" in client.get("/readyz").json()["upgrade"]

    monkeypatch.setenv("BYLINE_DATA_DIR", str(data))
    assert main(["upgrade", "--quiet"]) == 0
    upgraded = components_at(data, embedder)  # type: ignore[arg-type]
    assert upgraded.store.layout() == LAYOUT
    assert all(names.decode(m.get(names.FIELD)) for m in _metadata(upgraded).values())
    assert upgraded.store.vectors(sorted(bare)) == vectors  # nothing embedded again
    assert upgraded.store.count() == len(bare)
    assert any(found for found in _sentence_names(upgraded).values())
    with serving(upgraded.settings) as client:
        assert client.get("/readyz").json()["upgrade"] is None
    assert main(["upgrade", "--quiet"]) == 0  # again: nothing to do


def test_a_changed_name_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_folder(), copy)
    check_model(copy)
    edited = copy / next(iter(SHA256))
    edited.write_bytes(edited.read_bytes() + b"\n")
    with pytest.raises(BylineError, match="not the file of"):
        check_model(copy)
