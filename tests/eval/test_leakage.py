"""The leakage gate every training job shares: the judged year's articles (by id, address, body
or date) and questions (by id, wording or year) refused; and the command line of a training job
over the small store, with a judged year that shares nothing with it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from eval.training.leakage import JudgedYear

DATA = Path(__file__).parent / "data"
QUESTIONS = DATA / "questions.jsonl"
ARTICLES = DATA / "articles.jsonl.gz"


def records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _write_gz(path: Path, records: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    return path


def judged_year(
    folder: Path, articles: list[dict[str, Any]], questions: list[dict[str, Any]]
) -> JudgedYear:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = _write_gz(folder / "corpus.jsonl.gz", articles)
    asked = folder / "questions.jsonl"
    asked.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return JudgedYear.load(corpus, [asked])


UNRELATED = {
    "id": "z9",
    "url": "https://example.net/2023/01/01/other",
    "title": "An unrelated 2023 story",
    "outlet": "CNN",
    "published_at": "2023-01-01",
    "text": "Nothing in this article is in the training data.",
}


def test_the_judged_years_articles_and_questions_are_refused(tmp_path: Path) -> None:
    a1, a2, a3, _ = records(ARTICLES)
    judged = judged_year(
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
    assert not judged.refuses_article(records(ARTICLES)[3])
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    assert [judged.refuses_question(q) for q in questions] == [False, True] + [False] * 4
    assert judged.refuses_question({**questions[0], "id": "20230101_0"})
    assert judged.refuses_question({**questions[0], "year": 2023})


def train_args(kind: str, work: Path, store: Path, out: Path, judged: Path) -> list[str]:
    """``byline train KIND`` over the small store, the held-out year in the same store, and
    a judged year that shares nothing with it."""
    judged_year(judged, [UNRELATED], [])
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
