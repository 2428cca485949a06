"""``byline eval``: run the seed eval set and print per-question results and the totals."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from eval.seed import SEED_QUESTIONS, format_report, load_questions, run_seed_eval
from rag.components import Components
from rag.settings import Settings


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("eval", help="run the offline eval set")
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
