"""``byline train retriever`` end to end on a small training set in RealTime QA's shape: stores
built by the real ``byline ingest``, the real model, the judged year's articles and questions
refused, the trained question encoder shipped, checked by hash and served on ONNX."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from eval.training.leakage import Judged
from eval.training.pool import load_training_questions
from eval.training.retriever_examples import allowed_articles, question_examples
from eval.training.retriever_job import components_over
from eval.training.span_examples import span_examples
from rag.adapters.embedder import default_model_path
from rag.cli import main
from rag.errors import BylineError
from rag.models.files import check_files, sha256_of
from rag.models.query_torch import encode, load_tower, question_tokenizer
from rag.models.shipped import query_encoder_files
from rag.retrieval.retriever import Query
from rag.settings import Settings
from rag.wiring import Components

DATA = Path(__file__).parent / "data"
QUESTIONS = DATA / "questions.jsonl"
ARTICLES = DATA / "articles.jsonl.gz"


def _records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _write_gz(path: Path, records: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    return path


def _judged(
    folder: Path, articles: list[dict[str, Any]], questions: list[dict[str, Any]]
) -> Judged:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = _write_gz(folder / "corpus.jsonl.gz", articles)
    asked = folder / "questions.jsonl"
    asked.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return Judged.load(corpus, [asked])


UNRELATED = {
    "id": "z9",
    "url": "https://example.net/2023/01/01/other",
    "title": "An unrelated 2023 story",
    "outlet": "CNN",
    "published_at": "2023-01-01",
    "text": "Nothing in this article is in the training data.",
}


def test_the_judged_years_articles_and_questions_are_refused(tmp_path: Path) -> None:
    a1, a2, a3, _ = _records(ARTICLES)
    judged = _judged(
        tmp_path,
        [
            {**a1, "id": "x1"},  # the same address...
            {**a2, "id": "x2", "url": "https://example.org/copy", "text": a2["text"].upper()},
            {**UNRELATED, "id": a3["id"]},  # the same record id
        ],
        [{"id": "20230101_0", "question": "Who leads the union of the Valmora dockworkers?"}],
    )
    # ...with tracking parameters and a trailing slash; the same body, cased otherwise.
    assert judged.refuses_article({**a1, "id": "y", "url": a1["url"] + "/?utm_source=x"})
    assert judged.refuses_article({**a2, "id": "y", "url": "https://example.org/elsewhere"})
    assert judged.refuses_article(a3)
    assert judged.refuses_article({**UNRELATED, "id": "y", "url": "", "text": "New."})  # 2023
    assert not judged.refuses_article(_records(ARTICLES)[3])
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    assert [judged.refuses_question(q) for q in questions] == [False, True] + [False] * 4
    assert judged.refuses_question({**questions[0], "id": "20230101_0"})
    assert judged.refuses_question({**questions[0], "year": 2023})


def test_refused_articles_are_neither_positives_nor_negatives(tmp_path: Path, store: Path) -> None:
    _, a2, *_ = _records(ARTICLES)
    judged = _judged(tmp_path, [{**a2, "id": "x2"}], [])
    article_of = allowed_articles(ARTICLES, judged)
    assert "a2" not in article_of and "a1" in article_of
    source = components_over(Settings(), store)
    train = [q for q in load_training_questions(QUESTIONS) if q.year == 2024]
    examples = list(question_examples(train, source.retriever(), source.lexical, article_of))
    a2_chunks = {p.chunk_id for p in source.lexical.every_passage() if p.url == a2["url"]}
    assert a2_chunks and examples
    for example in examples:
        assert not a2_chunks & {*example.positives, *example.negatives}
        assert example.positives


def train_args(kind: str, work: Path, store: Path, out: Path, judged: Path) -> list[str]:
    """``byline train KIND`` over the small store, the held-out year in the same store, and
    a judged year that shares nothing with it."""
    _judged(judged, [UNRELATED], [])
    return [
        "train",
        kind,
        "--questions",
        str(QUESTIONS),
        "--articles",
        str(ARTICLES),
        "--store",
        str(store),
        "--held-out-store",
        str(store),
        "--judged-corpus",
        str(judged / "corpus.jsonl.gz"),
        "--judged-questions",
        str(judged / "questions.jsonl"),
        "--work",
        str(work),
        "--out",
        str(out),
    ]


def _train(tmp_path: Path, store: Path, out: Path, judged: Path, *extra: str) -> int:
    return main(
        [*train_args("retriever", tmp_path / "work", store, out, judged), "--epochs", "2", *extra]
    )


def test_the_question_encoder_trains_ships_and_serves(tmp_path: Path, store: Path) -> None:
    out = tmp_path / "encoder"
    assert _train(tmp_path, store, out, tmp_path / "judged") == 0
    files = query_encoder_files(out)
    meta = files.meta()
    check_files(files, default_model_path(), meta)
    assert meta["training"]["trained_on_years"] == [2024]
    assert meta["held_out"]["year"] == 2025 and meta["held_out"]["questions"] == 3
    assert [h["epoch"] for h in meta["training"]["history"]] == [0, 1, 2]
    card = (out / "MODEL_CARD.md").read_text()
    assert card.count("Licence") == 1 and "| base model |" in card
    # Deterministic for a seed: a second run in a fresh work folder writes the same weights.
    again = tmp_path / "again"
    assert _train(tmp_path / "second", store, again, tmp_path / "judged") == 0
    assert sha256_of(files.weights_path) == sha256_of(query_encoder_files(again).weights_path)

    settings = Settings(data_dir=store, query_model="trained", query_model_dir=out)  # type: ignore[call-arg]
    served = Components.load(settings)
    base = Components.load(Settings(data_dir=store))
    question = "By how much will dockworkers' wages rise?"
    assert served.questions is not None and base.questions is None
    # What serves is what was shipped (ONNX, no torch), not the base model.
    shipped = load_tower(files, default_model_path())
    with torch.inference_mode():
        want = shipped(**encode(question_tokenizer(default_model_path()), [question]))[0]
    got = served.questions.embed([question])[0]
    assert float(torch.tensor(got) @ want) > 0.9999
    assert served.retriever().retrieve(Query.bounded(question, 2)).passages

    with files.weights_path.open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x00")
    with pytest.raises(BylineError, match="does not match"):
        Components.load(settings)


WEEK = [
    ("Union leader Marta Ilves signs the port deal", "2024-03-04", "The deal was signed."),
    ("Port reopens after the strike", "2024-03-06", "Cargo moved again on Wednesday."),
    ("Valmora shops restock", "2024-03-03", "Shelves were full again by Thursday."),
]


def test_recurring_names_give_examples_without_labels(tmp_path: Path) -> None:
    records = [
        {
            "url": f"https://example.com/{n}",
            "title": title,
            "outlet": "CNN",
            "published_at": day,
            "text": f"{lead} Union leader Marta Ilves said members would vote on Friday."
            if n < 2
            # Shares the asked sentence's words without the name: a hard negative that
            # both rankers find, whatever the CPU's precision does to the dense scores.
            else f"{lead} Traders said members would vote on Friday on harbor deliveries.",
        }
        for n, (title, day, lead) in enumerate(WEEK)
    ]
    articles = _write_gz(tmp_path / "week.jsonl.gz", records)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BYLINE_DATA_DIR", str(tmp_path / "store"))
        assert main(["ingest", "--quiet", str(articles)]) == 0
    source = components_over(Settings(), tmp_path / "store")
    allowed = {p.article_id for p in source.lexical.every_passage()}
    examples = list(span_examples(source.retriever(), source.lexical, allowed, 5, seed=0))
    assert examples
    texts = {p.chunk_id: p.text for p in source.lexical.every_passage()}
    for example in examples:
        assert "Marta Ilves" not in example.query and "members would vote" in example.query
        assert all("Marta Ilves" in texts[c] for c in example.positives)
        assert all("Marta Ilves" not in texts[c] for c in example.negatives)
        # The asked sentence's own article is neither: it is the question.
        asked = [c for c in texts if example.query.split()[0] in texts[c]]
        assert len(example.positives) == 1 and example.positives[0] in asked
