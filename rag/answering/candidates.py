"""The sentences an extractive answer may quote: every sentence of the retrieved passages'
whole articles, each remembering where it sits.

Retrieval finds the right article more often than the right chunk of it: on the RealTime QA dev
questions a sentence naming the gold answer (and no other choice) is in the top 5 passages for
38 % of questions and in their whole articles for 47 %. So the answerer reads the articles
(reading only the chunks within one or two of a found one measured 1 to 1.5 points of dev
accuracy lower); a sentence's distance from the chunk that was found is one of its features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from rag.answering.asked import terms_of
from rag.answering.untrusted import instruction_free
from rag.domain.folding import sentence_key
from rag.domain.models import ArticleChunk, Passage, Sentence
from rag.domain.names import Name
from rag.domain.text import ends_sentence, split_sentences

MIN_WORDS = 4
DAY = 86400


@dataclass(frozen=True)
class Candidate:
    sentence: str
    passage: Passage  # the chunk it is quoted from (what its citation points at)
    sequence: tuple[str, ...]  # its content words in order (:func:`asked.terms_of`)
    terms: frozenset[str]
    article_rank: int  # 0 for the article of the best passage
    article_similarity: float  # its article's best passage's similarity to the question
    retrieved: bool  # its chunk was among the retrieved passages
    distance: int  # chunks between its chunk and the nearest retrieved one of its article
    position: int  # sentences before it in its article
    age_days: float  # from publication to the present the news is read in
    before: str  # the sentence before it in its article ("..., he added" speaks for whom?)
    names: tuple[Name, ...] = ()  # the named entities it holds, read at ingest


def candidates(
    retrieved: Sequence[Passage],
    articles: Mapping[str, Sequence[ArticleChunk]],
    present: datetime,
) -> list[Candidate]:
    """Each sentence once (overlapping chunks and syndicated copies repeat sentences), articles in
    the order their best passage ranks. ``articles``: each article's chunks in order, read when
    they were indexed; an article missing there is read from its retrieved passages alone."""
    similarity = _similarity(retrieved)
    seen: set[str] = set()
    found: list[Candidate] = []
    order = list(dict.fromkeys(p.article_id for p in retrieved))
    for article_rank, article_id in enumerate(order):
        mine = [p for p in retrieved if p.article_id == article_id]
        hits = {p.chunk_id for p in mine}
        chunks = list(articles.get(article_id, ()))
        if not hits & {c.passage.chunk_id for c in chunks}:
            chunks = [ArticleChunk(p, read_sentences(p.text)) for p in mine]
        at = [i for i, c in enumerate(chunks) if c.passage.chunk_id in hits]
        keys = [[sentence_key(s.text) for s in c.sentences] for c in chunks]
        # Overlapping chunks share sentences: one found in a retrieved chunk counts as found.
        found_keys = {key for i in at for key in keys[i]}
        best = max(similarity[p.chunk_id] for p in mine)
        published = mine[0].published_ts
        age = (present.timestamp() - published) / DAY if published >= 0 else None
        position = 0
        before = ""
        for index, chunk in enumerate(chunks):
            for sentence, key in zip(chunk.sentences, keys[index], strict=True):
                position += 1
                text = sentence.text
                previous, before = before, text
                if len(text.split()) < MIN_WORDS or key in seen or not ends_sentence(text):
                    continue
                seen.add(key)
                found.append(
                    Candidate(
                        sentence=text,
                        passage=chunk.passage,
                        sequence=sentence.terms,
                        terms=frozenset(sentence.terms),
                        article_rank=article_rank,
                        article_similarity=best,
                        retrieved=key in found_keys,
                        distance=0 if key in found_keys else min(abs(index - i) for i in at),
                        position=position - 1,
                        age_days=max(0.0, age) if age is not None else -1.0,
                        before=previous,
                        names=sentence.names,
                    )
                )
    return _undated_as_freshest(found)


def index_of(candidate: Candidate, found: Sequence[Candidate]) -> int:
    """Its place among the sentences read, by identity (the same object, not an equal one);
    -1 when it is not there."""
    return next((i for i, c in enumerate(found) if c is candidate), -1)


def _undated_as_freshest(found: list[Candidate]) -> list[Candidate]:
    """An undated article is no evidence of old news: it counts as fresh as the freshest dated
    one (or of today, when none is dated)."""
    dated = [c.age_days for c in found if c.age_days >= 0]
    freshest = min(dated, default=0.0)
    return [c if c.age_days >= 0 else replace(c, age_days=freshest) for c in found]


def _similarity(passages: Sequence[Passage]) -> dict[str, float]:
    """Each passage's cosine similarity to the question; one found only by its words counts as
    no closer than the farthest passage the vectors found."""
    dense = [p.dense_score for p in passages if p.dense_score > 0]
    floor = min(dense, default=0.0)
    return {p.chunk_id: p.dense_score if p.dense_score > 0 else floor for p in passages}


class SentenceReading:
    """What an answer may quote of a chunk: its sentences without what speaks to a model, each
    with its terms. Run when a chunk is indexed (the lexical table keeps the result), so that
    no request reads an article twice; ``version`` names this reading in the table, and
    changes whenever the reading does (the table is then read again)."""

    version = "1"

    def __call__(self, text: str) -> tuple[Sentence, ...]:
        return tuple(Sentence(s, terms_of(s)) for s in split_sentences(instruction_free(text)))


read_sentences = SentenceReading()
