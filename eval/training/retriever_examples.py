"""The question encoder's training examples, drawn through the service's own retriever.

For each training question, asked as of its date over a store of the training years' articles
built by ``byline ingest``: the positives are the passages of the question's own search results
that hold the gold answer (those sharing the most words with the quiz's evidence first, where it
gives one), and the hard negatives are the passages the service ranks highest that hold no gold
answer: what a user would have been shown instead. Articles the judged year has seen
(:mod:`eval.training.leakage`) are neither positives nor negatives.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from eval.training.leakage import Judged
from eval.training.pool import TrainingQuestion
from rag.adapters.lexical import LexicalIndex
from rag.domain.folding import holds_phrase
from rag.domain.models import Passage
from rag.retrieval.retriever import Query, Retriever, day_end

HARD_POOL = 40  # the service's best passages that negatives are drawn from
MOST_POSITIVES = 4


@dataclass(frozen=True)
class Example:
    query: str  # as the retriever embeds it: outlet and time phrases taken out
    positives: tuple[str, ...]  # chunk ids
    negatives: tuple[str, ...]  # chunk ids, the service's ranking order
    kind: str = "question"  # or "span": made without labels (eval.training.span_examples)


def allowed_articles(path: Path, judged: Judged) -> dict[str, str]:
    """Record id -> the id ingest gives its article, for every training article the judged
    year has not seen."""
    from ingest.records import article_from_record
    from rag.errors import IngestError

    allowed = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if judged.refuses_article(record):
                continue
            try:
                allowed[str(record["id"])] = article_from_record(record, "train").id
            except IngestError:
                continue
    return allowed


def _holds_gold(passage: Passage, answers: Sequence[str]) -> bool:
    text = f"{passage.title}\n{passage.text}"
    return any(holds_phrase(text, answer) for answer in answers)


def _evidence_overlap(passage: Passage, evidence: str) -> float:
    wanted = set(evidence.casefold().split())
    return len(wanted & set(passage.text.casefold().split())) / max(1, len(wanted))


def question_example(
    question: TrainingQuestion,
    retriever: Retriever,
    lexical: LexicalIndex,
    article_of: dict[str, str],
) -> Example | None:
    """``question``'s example, or None when none of its own search results holds the gold in
    a passage published by its date (nothing the service could have found)."""
    asked = question.question
    assert asked.as_of is not None
    as_of = day_end(asked.as_of)
    allowed = set(article_of.values())
    own = [article_of[r] for r in question.search_results if r in article_of]
    latest = int(as_of.timestamp())
    positives = [
        chunk.passage
        for chunks in lexical.article_chunks(own).values()
        for chunk in chunks
        if chunk.passage.published_ts <= latest and _holds_gold(chunk.passage, asked.answers)
    ]
    if not positives:
        return None
    if question.evidence:
        positives.sort(key=lambda p: -_evidence_overlap(p, question.evidence))
    ranking = retriever.ranking(Query.bounded(asked.question, HARD_POOL, as_of=asked.as_of), as_of)
    head = lexical.passages(ranking.order[:HARD_POOL])
    negatives = [
        p.chunk_id for p in head if p.article_id in allowed and not _holds_gold(p, asked.answers)
    ]
    query = ranking.searched.understood.text
    chosen = tuple(p.chunk_id for p in positives[:MOST_POSITIVES])
    return Example(query, chosen, tuple(negatives))


def question_examples(
    questions: Sequence[TrainingQuestion],
    retriever: Retriever,
    lexical: LexicalIndex,
    article_of: dict[str, str],
    progress: bool = True,
) -> Iterator[Example]:
    for question in tqdm(questions, unit=" questions", disable=not progress, leave=False):
        example = question_example(question, retriever, lexical, article_of)
        if example is not None:
            yield example
