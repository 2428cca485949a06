from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eval.anatomy import run_anatomy
from eval.metrics import first_hit
from eval.questions import load_questions, of_year
from eval.retrieval import run_retrieval_eval
from rag.domain.folding import phrase_form
from rag.domain.models import Passage
from rag.retrieval.retriever import Query, Retriever
from rag.wiring import Components


def passage(text: str) -> Passage:
    return Passage("c", "a", text, "Headline", "Outlet", "", None, -1)


def test_gold_answers_match_whole_words_with_punctuation_folded() -> None:
    assert phrase_form("The U.S.-led plan, Brazil!") == " the u s led plan brazil "
    passages = [passage("Crowds in Brazilian cities."), passage("Crowds in Santos, Brazil.")]
    assert first_hit(("Brazil",), passages) == 2
    assert first_hit(("€40 billion",), [passage("its €40 billion goal")]) == 1
    assert first_hit(("Headline",), [passage("text")]) == 1  # the answerer sees the headline too
    assert first_hit(("Argentina",), passages) is None
    assert first_hit(("!!",), passages) is None


def test_the_retrieval_report_on_the_seed_articles(seeded: Components, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    rows = [
        ("q1", "How much military aid did NATO promise Ukraine?", "€40 billion"),
        ("q2", "Who is the US Ambassador to NATO?", "Julianne Smith"),
        ("q3", "Who won the 2022 World Cup?", "Argentina"),
    ]
    questions.write_text(
        "".join(
            json.dumps({"id": i, "question": q, "question_date": "2024-10-20", "answer": a}) + "\n"
            for i, q, a in rows
        ),
        encoding="utf-8",
    )
    retriever = Retriever(seeded.store, seeded.lexical, seeded.embedder)
    report = run_retrieval_eval(
        retriever, load_questions("realtimeqa", questions), progress=False, pool=True
    )
    summary = report.summary()
    assert summary["n"] == 3
    assert summary["pool_recall"] == round(2 / 3, 4)  # the World Cup is in no seed article
    assert report.recall["20"] == round(2 / 3, 4)
    assert report.recall["1"] <= report.recall["5"] <= report.recall["10"] <= report.recall["20"]
    assert 0 < report.mrr <= 2 / 3
    assert set(report.latency_ms) == {"p50", "p95"}


def test_the_candidate_pool_keeps_to_the_as_of_time(seeded: Components) -> None:
    retriever = Retriever(seeded.store, seeded.lexical, seeded.embedder)
    question = "How much military aid did NATO promise Ukraine?"
    pool = retriever.candidate_pool(Query(question, 5, as_of=datetime(2024, 12, 1, tzinfo=UTC)))
    assert any("€40 billion" in p.text for p in pool)
    assert len({p.chunk_id for p in pool}) == len(pool)
    before = retriever.candidate_pool(Query(question, 5, as_of=datetime(2020, 1, 1, tzinfo=UTC)))
    assert before and all(p.published_at is None for p in before)  # undated: kept, as documented


def test_the_anatomy_names_where_each_missed_gold_is(seeded: Components, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    rows = [
        ("found", "How much military aid did NATO promise Ukraine?", "€40 billion", "2024-10-20"),
        ("absent", "Who won the 2022 World Cup?", "Argentina", "2024-10-20"),
        ("early", "How much military aid did NATO promise Ukraine?", "€40 billion", "2024-01-01"),
    ]
    questions.write_text(
        "".join(
            json.dumps({"id": i, "question": q, "question_date": d, "answer": a, "year": 2024})
            + "\n"
            for i, q, a, d in rows
        ),
        encoding="utf-8",
    )
    loaded = of_year(load_questions("realtimeqa", questions), 2024)
    retriever = Retriever(seeded.store, seeded.lexical, seeded.embedder)
    report = run_retrieval_eval(retriever, loaded, progress=False)
    anatomy = run_anatomy(retriever, loaded, seeded.lexical.every_passage(), report.ranks, False)
    causes = {str(row["id"]): row["cause"] for row in anatomy.per_question}
    assert causes == {
        "found": "found in top 10",
        "absent": "absent",
        "early": "only after as-of",  # the gold's article is of October 2024
    }
    assert sum(anatomy.causes.values()) == 3
    # Had the top k missed it, fusion's own first 10 would still hold it: the diversity step's.
    missed = {question_id: None for question_id in report.ranks}
    again = run_anatomy(retriever, loaded, seeded.lexical.every_passage(), missed, False)
    assert again.per_question[0]["cause"] == "dedup or article cap"
    assert of_year(loaded, None) == loaded
    with pytest.raises(ValueError, match="no question of year 2019"):
        of_year(loaded, 2019)
