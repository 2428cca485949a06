"""Outlet recognition measured on MultiHop-RAG: the outlets a query names against the outlets of
its gold evidence, among the corpus's outlets (``corpus_metadata.json``).

Per query with evidence: precision = |named ∩ gold| / |named| (queries naming none are left out of
precision), recall = |named ∩ gold| / |gold|; both averaged over queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.domain.outlets import OutletRecogniser


@dataclass(frozen=True)
class OutletReport:
    queries: int
    naming_queries: int
    precision: float
    recall: float

    def line(self) -> str:
        return (
            f"queries {self.queries} (naming an outlet: {self.naming_queries})  "
            f"precision {self.precision:.4f}  recall {self.recall:.4f}"
        )


def run_outlet_eval(queries_path: Path, metadata_path: Path) -> OutletReport:
    outlets = {article["source"] for article in json.loads(metadata_path.read_text("utf-8"))}
    recogniser = OutletRecogniser(outlets)
    precisions: list[float] = []
    recalls: list[float] = []
    for query in json.loads(queries_path.read_text("utf-8")):
        gold = {evidence["source"] for evidence in query["evidence_list"]}
        if not gold:
            continue
        named = set(recogniser.recognise(query["query"]))
        if named:
            precisions.append(len(named & gold) / len(named))
        recalls.append(len(named & gold) / len(gold))
    return OutletReport(
        queries=len(recalls),
        naming_queries=len(precisions),
        precision=round(sum(precisions) / len(precisions), 4) if precisions else 0.0,
        recall=round(sum(recalls) / len(recalls), 4) if recalls else 0.0,
    )
