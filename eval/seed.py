"""The seed eval set: questions over the sample articles with expected phrases and outlets.

Metrics, each over the questions it applies to:
- answer-phrase hit rate: answerable questions answered (not declined) with every expected phrase;
- cited-outlet precision: citations, over all answered answerable questions, whose outlet is
  among the question's expected outlets;
- right-outlet rate: answerable questions answered with every expected phrase and a citation of
  one of the expected outlets;
- decline accuracy: all questions where ``declined`` matches "the articles cannot answer this".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from eval.common import share
from eval.questions import EvalQuestion
from eval.runs import conversation
from rag.answering.service import AskService
from rag.domain.folding import holds_phrase
from rag.domain.models import Answer
from rag.retrieval.retriever import Query


@dataclass
class QuestionResult:
    id: str
    question: str
    answerable: bool
    declined: bool
    phrase_hit: bool | None
    outlet_hit: bool | None  # the phrases, cited to an expected outlet
    outlets_cited: list[str]
    outlets_ok: int
    answer: str


@dataclass
class SeedReport:
    phrase_hit_rate: float
    right_outlet_rate: float
    cited_outlet_precision: float
    decline_accuracy: float
    questions: int
    results: list[QuestionResult] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def score(question: EvalQuestion, answer: Answer) -> QuestionResult:
    cited = [c.outlet for c in answer.citations]
    hit = None
    if question.answerable:
        hit = not answer.declined and all(holds_phrase(answer.text, p) for p in question.answers)
    return QuestionResult(
        id=question.id,
        question=question.question,
        answerable=question.answerable,
        declined=answer.declined,
        phrase_hit=hit,
        outlet_hit=None
        if hit is None
        else hit and any(o in question.expected_outlets for o in cited),
        outlets_cited=cited,
        outlets_ok=sum(o in question.expected_outlets for o in cited),
        answer=answer.text,
    )


def run_seed_eval(service: AskService, questions: list[EvalQuestion], top_k: int) -> SeedReport:
    results = [score(q, conversation(service, q, Query(q.question, top_k))) for q in questions]
    answerable = [r for r in results if r.answerable]
    cited_answerable = [r for r in answerable if not r.declined]
    citations = sum(len(r.outlets_cited) for r in cited_answerable)
    return SeedReport(
        phrase_hit_rate=share(sum(bool(r.phrase_hit) for r in answerable), len(answerable), 3),
        right_outlet_rate=share(sum(bool(r.outlet_hit) for r in answerable), len(answerable), 3),
        cited_outlet_precision=share(sum(r.outlets_ok for r in cited_answerable), citations, 3),
        decline_accuracy=share(sum(r.declined != r.answerable for r in results), len(results), 3),
        questions=len(results),
        results=results,
    )


def format_report(report: SeedReport) -> str:
    lines = []
    for r in report.results:
        verdict = (
            ("hit " if r.phrase_hit else "MISS")
            if r.answerable
            else ("decl" if r.declined else "ANSW")
        )
        outlets = ", ".join(sorted(set(r.outlets_cited))) or "-"
        lines.append(f"{verdict}  {r.id:<6} {r.question[:70]:<70}  [{outlets}]")
    lines.append("")
    lines.append(
        f"questions {report.questions} · answer-phrase hit rate {report.phrase_hit_rate:.3f} · "
        f"right-outlet rate {report.right_outlet_rate:.3f} · "
        f"cited-outlet precision {report.cited_outlet_precision:.3f} · "
        f"decline accuracy {report.decline_accuracy:.3f}"
    )
    return "\n".join(lines)
