"""Files a newcomer drops in: not UTF-8, mojibake, empty, too big, broken JSON. Each is read
or refused with a message that says why, and nothing already stored is lost."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ingest.decoding import Undecodable, decode
from rag.wiring import Components
from tests.conftest import SEEDS, components_at

PAGE = (
    "Café owners in Zürich protest new rules\n\n"
    "Café owners in Zürich protested on Monday against new rules for terraces, the city’s"
    " association said. About 200 owners marched to the town hall.\n"
)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16"])
def test_text_that_is_not_utf8_is_decoded_by_detection(encoding: str) -> None:
    text = PAGE if encoding != "latin-1" else PAGE.replace("’", "'")
    decoded = decode(text.encode(encoding))
    assert decoded.text == text and decoded.encoding != "utf-8"


def test_mojibake_is_repaired_and_clean_text_is_left_alone() -> None:
    broken = PAGE.encode("utf-8").decode("cp1252", errors="replace")  # "CafÃ© â€™"
    assert "Ã©" in broken
    decoded = decode(broken.encode("utf-8"))
    assert decoded.text == PAGE and decoded.repaired
    clean = decode(PAGE.encode("utf-8"))
    assert clean.text == PAGE and not clean.repaired and clean.encoding == "utf-8"
    quotes = "He said “no” — it’s ‘final’."
    assert decode(quotes.encode()).text == quotes  # quotes and dashes are not mojibake


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", b"\xef\xbb\xbf"])
def test_an_empty_file_says_so(data: bytes) -> None:
    with pytest.raises(Undecodable, match="empty file"):
        decode(data)


def test_the_summary_names_the_encoding_and_repairs(fresh: Components, tmp_path: Path) -> None:
    (tmp_path / "zurich.txt").write_bytes(PAGE.encode("cp1252"))
    mangled = PAGE.replace("Zürich", "Basel").encode("utf-8").decode("cp1252", "replace")
    (tmp_path / "basel.txt").write_text(mangled, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    summary = fresh.ingestor().ingest_paths([tmp_path])
    assert (summary.new, summary.rejected) == (2, 2)
    assert sorted(summary.errors) == [
        f"{tmp_path / 'empty.jsonl'}: empty file",
        f"{tmp_path / 'empty.txt'}: empty file",
    ]
    # cp1252 and cp1250 read this page alike; detection may name either.
    decoded_as = f"{tmp_path / 'zurich.txt'}: not UTF-8; decoded as cp125"
    assert any(note.startswith(decoded_as) for note in summary.notes), summary.notes
    assert f"{tmp_path / 'basel.txt'}: mojibake repaired" in summary.notes
    titles = {h.title for _, h in fresh.store.article_heads()}
    assert titles == {
        "Café owners in Zürich protest new rules",
        "Café owners in Basel protest new rules",
    }


def test_mojibake_in_export_records_is_repaired(fresh: Components, tmp_path: Path) -> None:
    record = {"title": "CafÃ© owners protest", "body": "Owners in ZÃ¼rich protested on Monday."}
    (tmp_path / "export.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert fresh.ingestor().ingest_paths([tmp_path]).new == 1
    assert {h.title for _, h in fresh.store.article_heads()} == {"Café owners protest"}


def test_json_that_is_not_utf8_is_rejected_not_crashed(fresh: Components, tmp_path: Path) -> None:
    good = json.dumps({"title": "Storm", "body": "A storm hit the port on Monday."})
    (tmp_path / "mixed.jsonl").write_bytes(good.encode() + b"\n" + b'{"title": "Caf\xe9"}\n')
    summary = fresh.ingestor().ingest_paths([tmp_path])
    assert (summary.new, summary.rejected) == (1, 1)
    assert "not UTF-8" in summary.errors[0]


def test_json_errors_read_once_at_a_column(fresh: Components, tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"title": "unterminated', encoding="utf-8")
    summary = fresh.ingestor().ingest_paths([tmp_path])
    assert summary.errors == [
        f"{tmp_path / 'bad.jsonl'}:1: invalid JSON at column 11: Unterminated string starting at"
    ]


def test_an_article_over_the_size_limit_is_rejected_naming_it(
    tmp_path: Path, embedder: object
) -> None:
    components = components_at(tmp_path / "data", embedder, max_article_chars=5_000)  # type: ignore[arg-type]
    components.ingestor().ingest_paths([SEEDS])
    before = components.store.count()
    huge = tmp_path / "huge.txt"
    huge.write_text("Log dump\n\n" + "Line of a log that is not news. " * 400, encoding="utf-8")
    summary = components.ingestor().ingest_paths([huge])
    assert (summary.new, summary.rejected) == (0, 1)
    assert "over the limit of 5,000 (BYLINE_MAX_ARTICLE_CHARS)" in summary.errors[0]
    assert str(huge) in summary.errors[0]
    assert components.store.count() == before  # nothing stored was lost


def test_the_progress_bar_counts_chunks_while_embedding(
    fresh: Components,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars are drawn on a terminal only
    long = tmp_path / "long.txt"
    sentences = " ".join(f"Sentence {i} of a long report on the harbour." for i in range(1500))
    long.write_text(f"A long harbour report\n\n{sentences}\n", encoding="utf-8")
    summary = fresh.ingestor().ingest_paths([long], progress=True)
    err = capsys.readouterr().err
    assert summary.chunks_embedded > 32  # more than one batch
    assert f"embed: {summary.chunks_embedded} chunks" in err
    assert "32 chunks" in err  # it moved during the one article, batch by batch
