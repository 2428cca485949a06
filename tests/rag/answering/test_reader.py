"""The reader in service: the shipped one loads offline and checked by hash, reads the question
with the sentence, and a missing or changed file stops start-up instead of answering without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answering.candidates import Candidate
from rag.answering.extractive import choose
from rag.answering.reader import SHIPPED, ReaderJudge, pair_text
from rag.domain.models import Passage
from rag.errors import BylineError
from rag.settings import Settings
from rag.wiring import load_reader_judge


@pytest.fixture(scope="module")
def judge() -> ReaderJudge:
    loaded = load_reader_judge(Settings(reader="on"))
    assert loaded is not None
    return loaded


def _candidate(sentence: str, article: str = "a", before: str = "") -> Candidate:
    passage = Passage(
        chunk_id=f"{article}-0",
        article_id=article,
        text=sentence,
        title="Dockworkers end strike at the port of Valmora",
        outlet="CNN",
        url="https://example.com/a",
        published_at="2024-03-04T00:00:00+00:00",
        published_ts=1709510400,
    )
    terms = frozenset(sentence.casefold().split())
    return Candidate(sentence, passage, tuple(terms), terms, 0, 0.5, True, 0, 0, 1.0, before)


@pytest.mark.xfail(
    strict=True,
    reason="the shipped reader (two trained layers, three epochs on 730 groups) does not yet"
    " tell who leads from what happened: it scores the walkout sentence highest"
    " (docs/reader.md#the-reader-how-the-answerer-learns-on-what-and-how-well); a better reader"
    " turns this into an XPASS, which fails until the mark goes",
)
def test_the_reader_reads_what_the_question_asks(judge: ReaderJudge) -> None:
    question = "Who leads the dockworkers' union in Valmora?"
    sentences = [
        "Shipping lines had diverted more than 40 vessels to other ports during the walkout.",
        "The union's leader, Marta Ilves, called the deal a fair one for families.",
        "The port authority said cargo would move normally again by Thursday.",
    ]
    scores = judge.reader.scores(question, [pair_text(_candidate(s)) for s in sentences])
    assert int(np.argmax(scores)) == 1


def test_what_the_reader_reads_of_a_candidate() -> None:
    text = pair_text(_candidate("He called the deal fair.", before="Marta Ilves spoke on Monday."))
    assert text.startswith("He called the deal fair.")  # the sentence first: cut last
    assert "Dockworkers end strike" in text and "CNN, 2024-03-04" in text
    assert text.endswith("Marta Ilves spoke on Monday.")


def test_further_sentences_come_from_the_best_ones_article() -> None:
    found = [
        _candidate("Marta Ilves leads the union of the dockworkers.", "a"),
        _candidate("Tomas Berg leads the regional government of Valmora.", "b"),
        _candidate("Ilves was elected to lead the union in 2019 by its members.", "a"),
    ]
    scores = np.array([3.0, 2.9, 2.5])
    chosen = choose(found, scores, [0, 1, 2], 3, 1.0, same_article=True)
    assert [c.passage.article_id for c in chosen] == ["a", "a"]


def test_reader_off_answers_with_the_cheap_ranker_alone() -> None:
    assert load_reader_judge(Settings(reader="off")) is None


def test_a_changed_reader_file_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(SHIPPED, folder)
    weights = folder / "reader.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x01")
    settings = Settings(reader="on", reader_dir=folder, cache_dir=tmp_path)
    with pytest.raises(BylineError, match="does not match"):
        load_reader_judge(settings)


def test_a_missing_reader_stops_start_up(tmp_path: Path) -> None:
    settings = Settings(reader="on", reader_dir=tmp_path, cache_dir=tmp_path)
    with pytest.raises(BylineError, match="byline train reader"):
        load_reader_judge(settings)


def test_a_reader_file_changed_after_a_checked_start_stops_the_next(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(SHIPPED, folder)
    settings = Settings(
        reader="on", reader_dir=folder
    )  # the session's cache: its ONNX copy is there
    assert load_reader_judge(settings) is not None  # hashed once, noted by size and time
    assert load_reader_judge(settings) is not None  # not hashed again
    weights = folder / "reader.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # the same size, a new time
    with pytest.raises(BylineError, match="does not match"):
        load_reader_judge(settings)
