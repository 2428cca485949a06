"""``byline train reranker`` end to end on a small training set in RealTime QA's shape: the
pools drawn through the service's retriever over a store the real ``byline ingest`` built, the
judged year's articles left out, the settings chosen on the held-out year, the model shipped."""

from __future__ import annotations

from pathlib import Path

from eval.training.pool import load_training_questions
from eval.training.reranker import ARTICLES_READ, STRENGTHS, pool_rows
from eval.training.retriever_job import components_over
from rag.cli import main
from rag.models.shipped import load_reranker
from rag.retrieval.rerank import RERANK_FEATURES
from rag.settings import Settings
from tests.eval.conftest import ARTICLES
from tests.eval.test_train_retriever import QUESTIONS, _records, train_args


def _train(tmp_path: Path, store: Path, out: Path) -> int:
    return main(train_args("reranker", tmp_path / "work", store, out, tmp_path / "judged"))


def test_the_reranker_trains_on_other_years_and_is_chosen_on_the_held_out_one(
    tmp_path: Path, store: Path
) -> None:
    out = tmp_path / "reranker.json"
    assert _train(tmp_path, store, out) == 0
    model, about = load_reranker(RERANK_FEATURES, out)
    assert about["trained_on_years"] == [2024] and about["held_out"]["year"] == 2025
    assert about["questions_with_a_positive"] > 0
    tried = about["held_out"]["tried"]
    assert len(tried) == len(ARTICLES_READ) * len(STRENGTHS)
    best = max(t["recall"]["10"] for t in tried)
    assert about["held_out"]["with"]["recall"]["10"] == best
    # Seeded: a second run from a fresh work folder writes the same model.
    again = tmp_path / "again.json"
    assert _train(tmp_path / "second", store, again) == 0
    assert load_reranker(RERANK_FEATURES, again)[0].weights.tolist() == model.weights.tolist()


def test_articles_the_judged_year_has_seen_give_no_rows(store: Path) -> None:
    source = components_over(Settings(), store)
    train = [q for q in load_training_questions(QUESTIONS) if q.year == 2024]
    every = {p.article_id for p in source.lexical.every_passage()}
    retriever = source.retriever()
    everything = pool_rows(retriever, train, every, progress=False)
    assert everything.questions > 0 and everything.y.any() and not everything.y.all()
    assert pool_rows(retriever, train, set(), progress=False).questions == 0
    # Without the article that holds the answers, fewer rows and fewer taught questions.
    a1_url = _records(ARTICLES)[0]["url"]
    a1 = {p.article_id for p in source.lexical.every_passage() if p.url == a1_url}
    fewer = pool_rows(retriever, train, every - a1, progress=False)
    assert len(fewer.y) < len(everything.y)
