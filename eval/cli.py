"""``byline eval``: the seed eval set (default) and ``byline eval retrieval``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from eval.outlets import run_outlet_eval
from eval.retrieval import format_retrieval, load_realtimeqa, run_retrieval_eval
from eval.seed import SEED_QUESTIONS, format_report, load_questions, run_seed_eval
from rag.components import Components
from rag.retrieve import Query, Retriever, Tuning
from rag.settings import Settings

STAGES: dict[str, dict[str, Any]] = {
    "dense": {"dense_weight": 0.0},
    "lexical": {"lexical_weight": 0.0},
    "recency": {"recency_weight": 0.0},
    "window": {"window_boost": 0.0},
    "outlets": {"outlet_boost": 0.0},
    "dedup": {"dedup": False},
    "article-cap": {"max_per_article": 0},
}


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("eval", help="run the offline eval set, or measure retrieval")
    parser.add_argument(
        "--questions", type=Path, default=SEED_QUESTIONS, help="seed-format questions (JSONL)"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="ingest these files into a fresh temporary store and evaluate there "
        "(default: evaluate what BYLINE_DATA_DIR holds)",
    )
    parser.add_argument("--top-k", type=int, help="passages per question (default: BYLINE_TOP_K)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run_eval)

    kinds = parser.add_subparsers(dest="eval_kind")
    retrieval = kinds.add_parser("retrieval", help="answer recall@k, MRR and latency")
    retrieval.add_argument("--dataset", choices=["realtimeqa"], required=True)
    retrieval.add_argument("--questions", type=Path, required=True, help="questions (JSONL)")
    retrieval.add_argument("--json", action="store_true", help="print the totals as JSON")
    retrieval.add_argument(
        "--without",
        default="",
        help=f"comma-separated stages to turn off: {', '.join(STAGES)}",
    )
    retrieval.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help=f"override a tuning knob ({', '.join(f.name for f in fields(Tuning))})",
    )
    retrieval.add_argument("--limit", type=int, help="only the first N questions")
    retrieval.add_argument("--per-question", type=Path, help="write each question's rank here")
    retrieval.add_argument(
        "--pool",
        action="store_true",
        help="also report pool recall: gold anywhere among the fused candidates",
    )
    retrieval.set_defaults(handler=run_retrieval)

    outlets = kinds.add_parser("outlets", help="outlet recognition on MultiHop-RAG queries")
    outlets.add_argument("--queries", type=Path, required=True, help="MultiHopRAG.json")
    outlets.add_argument("--metadata", type=Path, required=True, help="corpus_metadata.json")
    outlets.add_argument("--json", action="store_true")
    outlets.set_defaults(handler=run_outlets)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="byline-eval-") as scratch:
        if args.corpus:
            settings = settings.model_copy(update={"data_dir": Path(scratch)})
        components = Components.load(settings)
        if args.corpus:
            summary = components.ingestor().ingest_paths(args.corpus)
            print(summary.line(), file=sys.stderr)
        report = run_seed_eval(components.ask_service(), questions, args.top_k or settings.top_k)
    print(report.as_json() if args.json else format_report(report))
    return 0


def tuning_from(without: str, overrides: list[str]) -> Tuning:
    changes: dict[str, Any] = {}
    for stage in filter(None, (s.strip() for s in without.split(","))):
        if stage not in STAGES:
            raise SystemExit(f"byline: unknown stage {stage!r} (one of {', '.join(STAGES)})")
        changes.update(STAGES[stage])
    kinds = {f.name: f.type for f in fields(Tuning)}
    for override in overrides:
        name, _, value = override.partition("=")
        if name not in kinds:
            raise SystemExit(f"byline: unknown tuning knob {name!r}")
        if kinds[name] == "bool":
            changes[name] = value.lower() in ("1", "true", "yes")
        else:
            changes[name] = int(value) if kinds[name] == "int" else float(value)
    return replace(Tuning(), **changes)


def run_outlets(args: argparse.Namespace, settings: Settings) -> int:
    report = run_outlet_eval(args.queries, args.metadata)
    print(json.dumps(asdict(report)) if args.json else report.line())
    return 0


def run_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    questions = load_realtimeqa(args.questions)[: args.limit]
    components = Components.load(settings)
    retriever = Retriever(
        components.store,
        components.lexical,
        components.embedder,
        tuning_from(args.without, args.set),
    )
    retriever.retrieve(Query("warm-up", 1))  # builds the lexical index outside the timings
    report = run_retrieval_eval(retriever, questions, progress=not args.json, pool=args.pool)
    if args.per_question:
        args.per_question.write_text(json.dumps(report.per_question), encoding="utf-8")
    print(json.dumps(report.summary()) if args.json else format_retrieval(report))
    return 0
