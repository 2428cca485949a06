"""Each training question's candidate sentences, read as the answerer reads them in service.

Building a store of the 15,866 training articles takes longer than a session here, so each
question retrieves from its own search results instead (the benchmark's Google hits, in rank
order): the first ``ARTICLES`` of them are chunked as ingest chunks them, the ``top_k`` chunks
that best share the question's words (IDF-weighted) are the "retrieved" passages, their dense
similarity comes from the same model as the service's, and the answerer's own
:func:`~rag.answering.candidates.candidates` reads their whole articles.

The unanswerable copy of a question (``shifted``) reads the search results of an earlier
question (``SHIFT_DAYS`` or more before) that shares the most words with it: what the service
finds when the event is not yet in the news is older news on a similar topic.
"""

from __future__ import annotations

import gzip
import json
import math
import pickle
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.common import load_jsonl
from eval.questions import EvalQuestion, realtimeqa_question
from ingest.chunker import Chunker
from ingest.records import article_from_record
from rag.answering.asked import terms_of
from rag.answering.candidates import Candidate, candidates, read_sentences
from rag.domain.folding import holds_phrase
from rag.domain.models import Article, ArticleChunk, Passage
from rag.domain.outlets import OutletRecogniser
from rag.domain.timeparse import Window
from rag.errors import IngestError
from rag.retrieval.retriever import day_end
from rag.retrieval.understanding import understand

ARTICLES = 5  # search results read per question
SHIFT_DAYS = 14


@dataclass(frozen=True)
class TrainingQuestion:
    question: EvalQuestion
    year: int
    evidence: str  # the quiz's own supporting snippet, HTML stripped ("" when it has none)
    search_results: tuple[str, ...]


@dataclass
class Pool:
    """One question's candidates; ``shifted``: asked before its event, so nothing answers."""

    question: TrainingQuestion
    shifted: bool
    searched: str
    found: list[Candidate]
    window: Window | None
    outlets: tuple[str, ...]


def load_training_questions(path: Path) -> list[TrainingQuestion]:
    return load_jsonl(path, _training_question, "a RealTime QA training question")


def _training_question(record: dict[str, Any]) -> TrainingQuestion:
    evidence = re.sub(r"<[^>]+>", "", str(record.get("evidence") or ""))
    return TrainingQuestion(
        realtimeqa_question(record),
        int(record["year"]),
        " ".join(evidence.split()),
        tuple(record.get("search_results") or ()),
    )


def load_articles(
    path: Path, wanted: set[str], refused: Callable[[dict[str, Any]], bool]
) -> dict[str, Article]:
    """The ``wanted`` articles that the leakage gate does not refuse."""
    articles = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted and not refused(record):
                try:
                    articles[record["id"]] = article_from_record(record, record["id"])
                except IngestError:
                    continue
    return articles


def _earlier_lookalike(
    question: TrainingQuestion, by_date: Sequence[TrainingQuestion]
) -> TrainingQuestion | None:
    """The earlier question (``SHIFT_DAYS`` or more) sharing most words with this one."""
    assert question.question.as_of is not None
    before = question.question.as_of - timedelta(days=SHIFT_DAYS)
    mine = set(terms_of(question.question.question))
    best, overlap = None, 0
    for other in by_date:
        assert other.question.as_of is not None
        if other.question.as_of > before or not other.search_results:
            continue
        shared = len(mine & set(terms_of(other.question.question)))
        if shared > overlap:
            best, overlap = other, shared
    return best


class PoolBuilder:
    """Reads a question's articles as the service would have retrieved them."""

    def __init__(
        self,
        articles: dict[str, Article],
        chunker: Chunker,
        embed: Callable[[list[str]], list[list[float]]],
        top_k: int = 5,
    ) -> None:
        self._articles = articles
        self._chunker = chunker
        self._embed = embed
        self._top_k = top_k
        self._chunks: dict[str, list[ArticleChunk]] = {}
        # The outlets a question may name: those of the articles, as retrieval recognises them.
        self._outlets = OutletRecogniser({a.outlet for a in articles.values()})

    def chunks(self, article_id: str) -> list[ArticleChunk]:
        """The article's chunks as ingest would index them, sentences read."""
        if article_id not in self._chunks:
            article = self._articles[article_id]
            published = article.published_at
            passages = [
                Passage(
                    chunk_id=chunk.id,
                    article_id=article_id,
                    text=chunk.text,
                    title=article.title,
                    outlet=article.outlet,
                    url=article.url,
                    published_at=published.isoformat() if published else None,
                    published_ts=int(published.timestamp()) if published else -1,
                )
                for chunk in self._chunker.chunk(article)
            ]
            self._chunks[article_id] = [ArticleChunk(p, read_sentences(p.text)) for p in passages]
        return self._chunks[article_id]

    def pool(self, question: TrainingQuestion, results: Sequence[str], shifted: bool) -> Pool:
        assert question.question.as_of is not None
        as_of = day_end(question.question.as_of)
        if shifted:
            as_of -= timedelta(days=SHIFT_DAYS)
        understood = understand(question.question.question, as_of, self._outlets.mentions)
        ids = [i for i in results if i in self._articles][:ARTICLES]
        articles = {i: self.chunks(i) for i in ids}
        retrieved = self._retrieve(understood.text, articles)
        found = candidates(retrieved, articles, as_of)
        return Pool(
            question, shifted, understood.text, found, understood.window, understood.outlets
        )

    def _retrieve(self, searched: str, articles: dict[str, list[ArticleChunk]]) -> list[Passage]:
        """The ``top_k`` chunks most like the question by IDF-weighted shared words, at most two
        an article (as the service's diversity cap), scored by the model's cosine."""
        chunks = [c.passage for chunks in articles.values() for c in chunks]
        if not chunks:
            return []
        words = [set(terms_of(c.text)) for c in chunks]
        frequency = Counter(t for w in words for t in w)
        asked = set(terms_of(searched))
        idf = {t: math.log(1 + len(chunks) / (1 + frequency[t])) for t in asked}
        order = sorted(range(len(chunks)), key=lambda i: -sum(idf[t] for t in asked & words[i]))
        per_article: Counter[str] = Counter()
        picked = []
        for i in order:
            if per_article[chunks[i].article_id] < 2:
                per_article[chunks[i].article_id] += 1
                picked.append(chunks[i])
            if len(picked) == self._top_k:
                break
        vectors = self._embed([searched, *(f"{c.title}\n{c.text}" for c in picked)])
        question = vectors[0]
        scored = [
            replace(c, dense_score=sum(a * b for a, b in zip(question, v, strict=True)), rank=r)
            for r, (c, v) in enumerate(zip(picked, vectors[1:], strict=True), start=1)
        ]
        return sorted(scored, key=lambda p: -p.dense_score)


def build_pools(
    questions: Sequence[TrainingQuestion],
    builder: PoolBuilder,
    shifted: Callable[[TrainingQuestion], bool],
    every: Sequence[TrainingQuestion] = (),
) -> Iterator[Pool]:
    """Each question's pool, then, where ``shifted`` says so, its unanswerable copy (read from
    the search results of an earlier one of ``every``, default ``questions``)."""
    by_date = sorted(every or questions, key=lambda q: q.question.as_of or date.min)
    for question in tqdm(questions, unit=" questions", leave=False, disable=None):
        yield builder.pool(question, question.search_results, shifted=False)
        if shifted(question):
            earlier = _earlier_lookalike(question, by_date)
            if earlier is not None:
                yield builder.pool(question, earlier.search_results, shifted=True)


def save_pools(pools: list[Pool], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    with temporary.open("wb") as handle:
        pickle.dump(pools, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)


def load_pools(path: Path) -> list[Pool]:
    with path.open("rb") as handle:
        pools: Any = pickle.load(handle)  # our own cache, written by save_pools
    return list(pools)


def selected(
    questions: Sequence[TrainingQuestion], articles: dict[str, Article], held_out_year: int
) -> list[TrainingQuestion]:
    """The questions worth a pool: every one of the held-out year (it measures declining too),
    and of the training years those whose articles name the gold choice (the rest teach
    nothing the held-out year's questions do not)."""

    def named(question: TrainingQuestion) -> bool:
        ids = [i for i in question.search_results if i in articles][:ARTICLES]
        return any(holds_phrase(articles[i].body, question.question.answers[0]) for i in ids)

    return [q for q in questions if q.year == held_out_year or named(q)]
