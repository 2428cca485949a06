"""Per-question metrics, each ``None`` where it does not apply (the README defines each).

Text matching folds case and punctuation and matches whole words
(:func:`rag.domain.folding.holds_phrase`).
"""

from __future__ import annotations

from dataclasses import dataclass

from eval.questions import EvalQuestion
from rag.answering.citations import markers_in, without_markers
from rag.answering.grounding import generated_sentences
from rag.domain.folding import holds_phrase, phrase_form
from rag.domain.models import Passage
from rag.domain.text import content_terms

RECALL_KS = (1, 5, 10, 20)
HITS_KS = (4, 10)
SUPPORT_SHARE = 0.5  # a quote supports a sentence holding half of the sentence's content words


def first_rank(texts: list[str], answers: tuple[str, ...]) -> int | None:
    """Rank (from 1) of the first text holding any gold answer."""
    for rank, text in enumerate(texts, start=1):
        if any(holds_phrase(text, a) for a in answers):
            return rank
    return None


def first_hit(answers: tuple[str, ...], passages: list[Passage]) -> int | None:
    """Rank of the first passage (headline and text, as the answerer sees it) holding one."""
    return first_rank([f"{p.title}\n{p.text}" for p in passages], answers)


@dataclass(frozen=True)
class CitedSentence:
    text: str  # without its markers
    cited: tuple[int, ...]


def evidence_relevance(passages: list[str], evidence: tuple[str, ...]) -> list[bool]:
    """Per retrieved passage: does it hold one of the gold evidence facts?"""
    facts = [phrase_form(f) for f in evidence if phrase_form(f).strip()]
    return [any(f in phrase_form(p) for f in facts) for p in passages]


def hits_at(relevant: list[bool], k: int) -> float:
    return 1.0 if any(relevant[:k]) else 0.0


def average_precision_at_10(relevant: list[bool], gold: int) -> float:
    """MultiHop-RAG's MAP@10 term: sum of precision@i at each relevant rank, over the gold count."""
    if gold == 0:
        return 0.0
    found, total = 0, 0.0
    for i, is_relevant in enumerate(relevant[:10], start=1):
        if is_relevant:
            found += 1
            total += found / i
    return total / min(gold, 10)


def answer_correct(answer: str, declined: bool, question: EvalQuestion) -> bool:
    """Choices: the gold choice and no other; seed phrases: all of them; else any gold answer."""
    answers = question.answers
    if declined or not answers:
        return False
    if question.choices:
        others = [c for c in question.choices if c not in answers]
        return holds_phrase(answer, answers[0]) and not any(holds_phrase(answer, c) for c in others)
    if question.all_answers:
        return all(holds_phrase(answer, a) for a in answers)
    return any(holds_phrase(answer, a) for a in answers)


def first_sentence(answer: str) -> str:
    """The answer's first sentence, its markers kept (what a reader meets first)."""
    sentences = generated_sentences(answer)
    return sentences[0] if sentences else ""


def cited_sentences(answer: str) -> list[CitedSentence]:
    sentences = []
    for sentence in generated_sentences(answer):
        cited = tuple(dict.fromkeys(markers_in(sentence)))
        sentences.append(CitedSentence(without_markers(sentence), cited))
    return sentences


def supports(quote: str, sentence: str) -> bool:
    terms = set(content_terms(sentence))
    return bool(terms) and len(terms & set(content_terms(quote))) >= SUPPORT_SHARE * len(terms)


def citation_scores(answer: str, quotes: dict[int, str]) -> tuple[float | None, float | None]:
    """(precision, recall): supported (sentence, citation) pairs over all pairs; sentences with
    at least one supporting citation over all sentences. None where there is nothing to count."""
    sentences = [s for s in cited_sentences(answer) if s.text]
    pairs = [(s, n) for s in sentences for n in s.cited]
    supported = [(s, n) for s, n in pairs if n in quotes and supports(quotes[n], s.text)]
    precision = len(supported) / len(pairs) if pairs else None
    backed = {id(s) for s, _ in supported}
    recall = sum(id(s) in backed for s in sentences) / len(sentences) if sentences else None
    return precision, recall


def outlet_attribution(cited_outlets: list[str], expected: tuple[str, ...]) -> float | None:
    if not cited_outlets or not expected:
        return None
    wanted = {o.casefold() for o in expected}
    return sum(o.casefold() in wanted for o in cited_outlets) / len(cited_outlets)
