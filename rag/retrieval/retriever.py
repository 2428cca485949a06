"""Hybrid retrieval: dense (Chroma) and lexical (BM25) candidates fused, aware of time and outlets.

Every question has an as-of time (default: now); nothing published after it is retrieved. A
recency prior favours articles published shortly before as-of, a relative-time phrase in the
question ("this week", "on Monday") favours its window, and an outlet the question names
("according to CNN") favours that outlet; requested ``outlets``, ``since`` and ``until`` filter.
Near-duplicate passages (one wire story in several articles) are collapsed. The defaults of
``Tuning`` were chosen on the RealTime QA dev questions (README, "Retrieval").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

import numpy as np
import numpy.typing as npt

from rag.adapters.embedder import TextEmbedder
from rag.adapters.lexical import LexicalIndex
from rag.adapters.store import UNDATED, ChromaStore, Where
from rag.domain.models import ArticleChunk, Passage
from rag.domain.outlets import OutletRecogniser
from rag.domain.stories import story_note
from rag.domain.timeparse import Window
from rag.retrieval.understanding import Understood, understand
from rag.settings import Tuning

DAY = 86400
DENSE_NET_FACTOR = 5  # unfiltered dense candidates searched per candidate wanted
HEAD_FACTOR = 4  # passages read from the table per passage returned


@dataclass(frozen=True)
class Searched:
    """The first steps of every retrieval: the question understood, and the candidates the
    vectors and the words each found within the bounds."""

    understood: Understood
    dense: list[tuple[str, float]]  # (chunk id, cosine similarity), nearest first
    lexical: list[tuple[str, float]]  # (chunk id, BM25 score), best first
    vector: list[float]  # the searched question's embedding


@dataclass(frozen=True)
class Ranking:
    searched: Searched
    scores: dict[str, float]  # chunk id -> fused score with the priors
    order: list[str]  # chunk ids, best first


@dataclass(frozen=True)
class Query:
    question: str
    top_k: int
    outlets: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    as_of: datetime | None = None

    @classmethod
    def bounded(
        cls,
        question: str,
        top_k: int,
        outlets: Sequence[str] = (),
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        as_of: date | datetime | None = None,
    ) -> Query:
        """A query from bounds as people give them: a bare date means its whole day (``since``
        from its start, ``until`` and ``as_of`` to its end)."""
        return cls(
            question=question,
            top_k=top_k,
            outlets=tuple(outlets),
            since=day_start(since) if since else None,
            until=day_end(until) if until else None,
            as_of=day_end(as_of) if as_of else None,
        )


@dataclass(frozen=True)
class Retrieved:
    passages: list[Passage]
    searched: str  # the question without its outlet and time phrases: what was embedded
    as_of: datetime
    # The archive's present: its newest article up to as-of. An answer's freshness is counted
    # from it, so an archive of 2024 asked today reads as 2024's news, not as stale news.
    present: datetime
    window: Window | None = None  # the time the question names ("this week"), if any
    named_outlets: tuple[str, ...] = ()  # outlets the question names ("according to CNN")


def day_start(value: date | datetime) -> datetime:
    """A 'since' bound: a bare date means from its first second (UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def day_end(value: date | datetime) -> datetime:
    """An 'until' bound: a bare date means up to its last second (UTC), so that day is included."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max, tzinfo=UTC)


@dataclass(frozen=True)
class Bounds:
    """Publication-time bounds (epoch seconds) and requested outlets of one query.

    ``earliest`` is set only for an explicit ``since``/``until`` range, and is never below 0, so
    such a range leaves undated articles (``UNDATED``, -1) out while as-of alone keeps them.
    """

    latest: int
    earliest: int | None
    outlets: frozenset[str]

    @classmethod
    def of(cls, query: Query, as_of: datetime) -> Bounds:
        latest = int(as_of.timestamp())
        if query.until is not None:
            latest = min(latest, int(query.until.timestamp()))
        earliest = None
        if query.since is not None or query.until is not None:
            earliest = max(0, int(query.since.timestamp())) if query.since else 0
        return cls(latest, earliest, frozenset(o.casefold() for o in query.outlets))

    def where(self) -> Where:
        clauses: list[Where] = [{"published_ts": {"$lte": self.latest}}]
        if self.earliest is not None:
            clauses.append({"published_ts": {"$gte": self.earliest}})
        if self.outlets:
            clauses.append({"outlet_key": {"$in": sorted(self.outlets)}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, published: int, outlet_key: str) -> bool:
        return (
            published <= self.latest
            and (self.earliest is None or published >= self.earliest)
            and (not self.outlets or outlet_key in self.outlets)
        )

    def allowed(
        self, published: npt.NDArray[np.int64], outlet_keys: npt.NDArray[np.str_]
    ) -> npt.NDArray[np.bool_]:
        mask = published <= self.latest
        if self.earliest is not None:
            mask &= published >= self.earliest
        if self.outlets:
            mask &= np.isin(outlet_keys, list(self.outlets))
        return mask


def recency_prior(published: int, as_of: int, tuning: Tuning) -> float:
    if published == UNDATED or not tuning.recency_weight:
        return 1.0
    age_days = max(0.0, (as_of - published) / DAY)
    return 1.0 + tuning.recency_weight * math.exp(-age_days / tuning.recency_scale_days)


class Retriever:
    def __init__(
        self,
        store: ChromaStore,
        lexical: LexicalIndex,
        embedder: TextEmbedder,
        tuning: Tuning | None = None,
    ) -> None:
        self._store = store
        self._lexical = lexical
        self._embedder = embedder
        self.tuning = tuning or Tuning()
        self._recogniser: tuple[frozenset[str], OutletRecogniser] | None = None

    def retrieve(self, query: Query) -> Retrieved:
        as_of = query.as_of or datetime.now(UTC)
        ranking = self.ranking(query, as_of)
        understood, fused = ranking.searched.understood, ranking.scores
        # Only the head of the ranking is read: enough for k after collapsing.
        head = ranking.order[: query.top_k * HEAD_FACTOR]
        similarity, bm25 = dict(ranking.searched.dense), dict(ranking.searched.lexical)
        passages = [
            replace(
                passage,
                dense_score=similarity.get(passage.chunk_id, 0.0),
                lexical_score=bm25.get(passage.chunk_id, 0.0),
                score=fused[passage.chunk_id],
            )
            for passage in self._lexical.passages(head)  # in the head's order: best first
        ]
        top = self.with_story_notes(_diverse(passages, query.top_k, self.tuning))
        ranked_top = [replace(p, rank=rank) for rank, p in enumerate(top, start=1)]
        newest = self._lexical.latest(int(as_of.timestamp()))
        present = as_of if newest is None else datetime.fromtimestamp(newest, UTC)
        window = understood.window
        return Retrieved(ranked_top, understood.text, as_of, present, window, understood.outlets)

    def with_story_notes(self, passages: list[Passage]) -> list[Passage]:
        """Each passage whose article is one copy of a wire story, with what its copies say."""
        members = self._lexical.story_members([p.story for p in passages])
        return [
            replace(p, story_note=story_note(p.article_id, p.outlet, members.get(p.story, [])))
            for p in passages
        ]

    def ranking(self, query: Query, as_of: datetime) -> Ranking:
        """Every candidate chunk, fused and weighed by the priors, best first: what the top k
        are chosen from (after near-duplicates and the per-article cap)."""
        searched, fused = self._fused(query, as_of)
        # A tie keeps fusion's order (the dense candidates first).
        return Ranking(searched, fused, sorted(fused, key=lambda chunk_id: -fused[chunk_id]))

    def _fused(self, query: Query, as_of: datetime) -> tuple[Searched, dict[str, float]]:
        searched = self._search(query, as_of)
        understood, dense, lexical = searched.understood, searched.dense, searched.lexical
        window = understood.window
        named = () if query.outlets else understood.outlets
        tuning = self.tuning
        fused = rrf(
            [
                ([chunk_id for chunk_id, _ in dense], tuning.dense_weight),
                ([chunk_id for chunk_id, _ in lexical], tuning.lexical_weight),
            ],
            tuning.rrf_k,
        )
        facts = self._lexical.facts(fused)
        latest = int(as_of.timestamp())
        named_keys = {o.casefold() for o in named}
        for chunk_id, (published, outlet_key) in facts.items():
            fused[chunk_id] *= recency_prior(published, latest, tuning)
            if window and window.holds(published):
                fused[chunk_id] *= 1.0 + tuning.window_boost
            if outlet_key in named_keys:
                fused[chunk_id] *= 1.0 + tuning.outlet_boost
        return searched, fused

    def articles(self, passages: list[Passage]) -> dict[str, list[ArticleChunk]]:
        """The whole articles of these passages, each as its chunks in order with the sentences
        read when they were indexed: what the answerer reads around the passages found."""
        return self._lexical.article_chunks(list(dict.fromkeys(p.article_id for p in passages)))

    def candidate_pool(self, query: Query) -> list[Passage]:
        """Every passage ranked for this query, unordered: the ceiling that any re-ranking of
        the candidates could reach (``byline eval retrieval --pool``)."""
        as_of = query.as_of or datetime.now(UTC)
        searched = self._search(query, as_of)
        found = [chunk_id for chunk_id, _ in searched.dense + searched.lexical]
        return self._lexical.passages(list(dict.fromkeys(found)))

    def _search(self, query: Query, as_of: datetime) -> Searched:
        bounds = Bounds.of(query, as_of)
        understood = understand(query.question, as_of, self.recogniser().mentions)
        vector = self._embedder.embed([understood.text])[0]
        dense, lexical = self._candidates(understood.text, vector, bounds)
        return Searched(understood, dense, lexical, vector)

    def _candidates(
        self, question: str, vector: list[float], bounds: Bounds
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        tuning = self.tuning
        dense = self._dense(vector, bounds) if tuning.dense_weight else []
        lexical = (
            self._lexical.search(question, tuning.candidates, allowed=bounds.allowed)
            if tuning.lexical_weight
            else []
        )
        return dense, lexical

    def recogniser(self) -> OutletRecogniser:
        outlets = self._lexical.outlets()
        if self._recogniser is None or self._recogniser[0] != outlets:
            self._recogniser = (outlets, OutletRecogniser(outlets))
        return self._recogniser[1]

    def _dense(self, vector: list[float], bounds: Bounds) -> list[tuple[str, float]]:
        """Nearest chunks within the bounds. Chroma's metadata filter costs ~10x the search, so
        an unfiltered search over a wider net is filtered here, with the index's own dates and
        outlets; only when too few pass does Chroma filter."""
        wanted = self.tuning.candidates
        net = self._store.nearest(vector, wanted * DENSE_NET_FACTOR)
        facts = self._lexical.facts(chunk_id for chunk_id, _ in net)
        kept = [
            (chunk_id, similarity)
            for chunk_id, similarity in net
            if chunk_id in facts and bounds.admits(*facts[chunk_id])
        ]
        if len(kept) < wanted and len(net) == wanted * DENSE_NET_FACTOR:
            return self._store.nearest(vector, wanted, bounds.where())
        return kept[:wanted]


def rrf(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum over rankings of weight / (k + rank)."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return fused


def _shingles(text: str) -> frozenset[str]:
    tokens = re.findall(r"\w+", text.casefold())
    return frozenset(" ".join(tokens[i : i + 5]) for i in range(max(1, len(tokens) - 4)))


def _diverse(passages: list[Passage], k: int, tuning: Tuning) -> list[Passage]:
    """The best ``k`` passages: one copy of a wire story (another copy's passages are the same
    story again), none that mostly repeats a better one, and, when capped, no article's
    passages beyond its share."""
    kept: list[tuple[Passage, frozenset[str]]] = []
    per_article: dict[str, int] = {}
    copy_of_story: dict[str, str] = {}  # story → the article whose passages stand for it
    for passage in passages:
        count = per_article.get(passage.article_id, 0)
        if tuning.max_per_article and count >= tuning.max_per_article:
            continue
        story = passage.story or passage.article_id
        if tuning.dedup and copy_of_story.get(story, passage.article_id) != passage.article_id:
            continue
        shingles = _shingles(passage.text) if tuning.dedup else frozenset()
        if tuning.dedup and any(
            len(shingles & other) / max(1, len(shingles | other)) >= tuning.duplicate_jaccard
            for _, other in kept
        ):
            continue
        kept.append((passage, shingles))
        copy_of_story.setdefault(story, passage.article_id)
        per_article[passage.article_id] = count + 1
        if len(kept) == k:
            break
    return [p for p, _ in kept]
