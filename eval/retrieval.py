"""Retrieval measurement on RealTime QA: answer recall@k, MRR and retrieval latency.

A question counts as found at k when its gold answer (lower-cased, punctuation folded to spaces)
occurs as whole words in one of the top-k passages as the answerer receives them (headline and
text). Each question is asked as of its ``question_date`` (end of that day).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tqdm import tqdm

from eval.common import p50_p95, share
from eval.metrics import first_hit
from eval.questions import EvalQuestion
from rag.retrieval.retriever import Query, Retriever

KS = (1, 5, 10, 20, 40)


@dataclass
class RetrievalReport:
    n: int
    recall: dict[str, float]
    mrr: float
    latency_ms: dict[str, float]
    per_question: list[dict[str, object]] = field(default_factory=list)
    pool_recall: float | None = None  # gold anywhere among the fused candidates (--pool)
    ranks: dict[str, int | None] = field(default_factory=dict)  # question id -> first gold rank

    def summary(self) -> dict[str, object]:
        totals: dict[str, object] = {
            "n": self.n,
            "recall": self.recall,
            "mrr": self.mrr,
            "latency_ms": self.latency_ms,
        }
        if self.pool_recall is not None:
            totals["pool_recall"] = self.pool_recall
        return totals


def run_retrieval_eval(
    retriever: Retriever,
    questions: list[EvalQuestion],
    progress: bool = True,
    pool: bool = False,
) -> RetrievalReport:
    """``pool`` also measures how many questions have their gold anywhere among the fused
    candidates, untimed: the recall no re-ranking of those candidates could exceed."""
    ranks: list[int | None] = []
    latencies: list[float] = []
    per_question: list[dict[str, object]] = []
    in_pool = 0
    for question in tqdm(
        questions, unit=" questions", disable=None if progress else True, leave=False
    ):
        query = Query.bounded(question.question, max(KS), as_of=question.as_of)
        started = time.perf_counter()
        retrieved = retriever.retrieve(query)
        latencies.append((time.perf_counter() - started) * 1000)
        rank = first_hit(question.answers, retrieved.passages)
        ranks.append(rank)
        per_question.append({"id": question.id, "rank": rank})
        if pool and first_hit(question.answers, retriever.candidate_pool(query)) is not None:
            in_pool += 1
    n = len(questions)
    recall = {str(k): share(sum(1 for r in ranks if r is not None and r <= k), n) for k in KS}
    mrr = round(sum(1 / r for r in ranks if r is not None) / n, 4) if n else 0.0
    p50, p95 = p50_p95(latencies) if latencies else (0.0, 0.0)
    latency = {"p50": p50, "p95": p95}
    pool_recall = share(in_pool, n) if pool else None
    ranks_of = {str(row["id"]): rank for row, rank in zip(per_question, ranks, strict=True)}
    return RetrievalReport(n, recall, mrr, latency, per_question, pool_recall, ranks_of)


def format_retrieval(report: RetrievalReport) -> str:
    recall = "  ".join(f"R@{k} {report.recall[str(k)]:.3f}" for k in KS)
    pool = "" if report.pool_recall is None else f"  pool {report.pool_recall:.3f}"
    return (
        f"questions {report.n}  {recall}  MRR {report.mrr:.3f}{pool}  "
        f"latency p50 {report.latency_ms['p50']:.1f} ms  p95 {report.latency_ms['p95']:.1f} ms"
    )
