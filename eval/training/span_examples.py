"""Examples that need no labels: recurring spans (Ram et al. 2021) in the training-year store.

A name that several articles of the same week mention (a person, a place, a company, written as
capitalised words) ties them to one event. A sentence that names it, with the name taken out,
asks what those articles tell, much as a quiz question does ("... announced on Monday that it
would cut 10,000 jobs"): its positives are the passages of the *other* articles of that week
that name it, its hard negatives the passages the service ranks highest for it that do not.
Only articles of the training years that the judged year has not seen take part.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tqdm import tqdm

from eval.training.retriever_examples import HARD_POOL, MOST_POSITIVES, Example
from rag.adapters.lexical import LexicalIndex
from rag.domain.folding import holds_phrase
from rag.retrieval.retriever import Query, Retriever

WEEK_S = 7 * 86400
# Two to four capitalised words: "Federal Reserve", "Kevin McCarthy", "New York Times".
_SPAN = re.compile(r"\b(?:[A-Z][a-z'’]+(?:\s+|$)){2,4}")
SENTENCE_WORDS = (8, 40)  # long enough to say something, short enough to be a question
MOST_ARTICLES = 6  # a span in more of the week's articles is too common to point at one event


@dataclass(frozen=True)
class _Mention:
    article_id: str
    published: int
    sentence: str


def _credits(sentence: str) -> bool:
    """A credit line ("Contributing: A, B; C, The Herald"), not a sentence of the story."""
    return ";" in sentence or sentence.startswith(("Contributing", "Associated Press", "By "))


def _spans(sentence: str) -> set[str]:
    # The sentence's first word is capitalised anyway: a span must start after it.
    return {m.group(0).strip() for m in _SPAN.finditer(sentence) if m.start() > 0}


def span_examples(
    retriever: Retriever,
    lexical: LexicalIndex,
    allowed: set[str],
    wanted: int,
    seed: int,
    progress: bool = True,
) -> Iterator[Example]:
    """Up to ``wanted`` examples, drawn at random (seeded) from the allowed articles."""
    mentions: dict[str, list[_Mention]] = defaultdict(list)
    chunks_of: dict[str, list[tuple[str, str]]] = defaultdict(list)  # article -> (chunk, text)
    for passage in lexical.every_passage():
        if passage.article_id not in allowed or passage.published_ts < 0:
            continue
        chunks_of[passage.article_id].append((passage.chunk_id, passage.text))
    articles = sorted(chunks_of)
    for article_id, chunks in lexical.article_chunks(articles).items():
        for chunk in chunks:
            for sentence in chunk.sentences:
                words = len(sentence.text.split())
                if not SENTENCE_WORDS[0] <= words <= SENTENCE_WORDS[1] or _credits(sentence.text):
                    continue
                for span in _spans(sentence.text):
                    mentions[span].append(
                        _Mention(article_id, chunk.passage.published_ts, sentence.text)
                    )
    rng = random.Random(seed)
    spans = sorted(s for s, m in mentions.items() if len({x.article_id for x in m}) > 1)
    rng.shuffle(spans)
    made = 0
    bar = tqdm(total=wanted, unit=" examples", disable=not progress, leave=False)
    for span in spans:
        if made >= wanted:
            break
        example = _example(span, mentions[span], chunks_of, retriever, lexical, allowed, rng)
        if example is not None:
            made += 1
            bar.update()
            yield example
    bar.close()


def _example(
    span: str,
    mentions: list[_Mention],
    chunks_of: dict[str, list[tuple[str, str]]],
    retriever: Retriever,
    lexical: LexicalIndex,
    allowed: set[str],
    rng: random.Random,
) -> Example | None:
    asked = rng.choice(mentions)
    week = [
        m
        for m in mentions
        if m.article_id != asked.article_id and abs(m.published - asked.published) <= WEEK_S
    ]
    others = {m.article_id for m in week}
    if not others or len(others) > MOST_ARTICLES:
        return None
    positives = [
        chunk_id
        for article_id in sorted(others)
        for chunk_id, text in chunks_of[article_id]
        if holds_phrase(text, span)
    ]
    question = " ".join(asked.sentence.replace(span, " ").split())
    # Asked as of the latest of the articles, so that every positive can be found.
    when = datetime.fromtimestamp(max(m.published for m in [asked, *week]), UTC)
    ranking = retriever.ranking(Query.bounded(question, HARD_POOL, as_of=when), when)
    head = lexical.passages(ranking.order[:HARD_POOL])
    negatives = [
        p.chunk_id
        for p in head
        if p.article_id in allowed
        and p.article_id != asked.article_id
        and not holds_phrase(f"{p.title}\n{p.text}", span)
    ]
    if not positives or not negatives:
        return None
    rng.shuffle(positives)
    query = ranking.searched.understood.text
    return Example(query, tuple(positives[:MOST_POSITIVES]), tuple(negatives), kind="span")
