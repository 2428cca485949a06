"""The ``eval`` and ``train`` commands' arguments, registered with ``byline`` through the
``byline.commands`` entry point. Kept apart from the commands themselves (``eval.cli``,
``eval.training.cli``), which import the whole service: registering must not slow ``byline ask``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eval.questions import DATASETS, SEED_QUESTIONS
from rag.cli import deferred
from rag.settings import Tuning

# The sample articles the seed questions are about (a checkout's examples/ folder).
SEED_CORPUS = Path(__file__).resolve().parent.parent / "examples" / "articles"
STAGES: dict[str, dict[str, Any]] = {
    "dense": {"dense_weight": 0.0},
    "lexical": {"lexical_weight": 0.0},
    "recency": {"recency_weight": 0.0},
    "window": {"window_boost": 0.0},
    "outlets": {"outlet_boost": 0.0},
    "dedup": {"dedup": False},
    "article-cap": {"max_per_article": 0},
}


def register_eval(commands: argparse._SubParsersAction[Any]) -> None:
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
    parser.set_defaults(handler=deferred("eval.cli:run_eval"))

    kinds = parser.add_subparsers(dest="eval_kind")
    retrieval = kinds.add_parser("retrieval", help="answer recall@k, MRR and latency")
    retrieval.add_argument(
        "--dataset", choices=["realtimeqa"], required=True, help="the questions' format"
    )
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
        help=f"override a tuning knob ({', '.join(Tuning.model_fields)})",
    )
    retrieval.add_argument("--limit", type=int, help="only the first N questions")
    retrieval.add_argument(
        "--year", type=int, help="only this year's questions (realtimeqa-train's questions.jsonl)"
    )
    retrieval.add_argument(
        "--anatomy",
        action="store_true",
        help="also say where the gold is when the top 10 miss it (absent, after as-of, not in"
        " the pool, ranked below 10, lost to dedup or the article cap, split by chunking)",
    )
    retrieval.add_argument("--per-question", type=Path, help="write each question's rank here")
    retrieval.add_argument(
        "--pool",
        action="store_true",
        help="also report pool recall: gold anywhere among the fused candidates",
    )
    retrieval.set_defaults(handler=deferred("eval.cli:run_retrieval"))

    run = kinds.add_parser("run", help="run a dataset through the ask service into a run file")
    run.add_argument(
        "--dataset", choices=DATASETS, required=True, help="the questions' format and scoring"
    )
    run.add_argument("--questions", type=Path, help="questions file (default for seed: built in)")
    run.add_argument(
        "--corpus", type=Path, action="append", help="ingest into a fresh temporary store first"
    )
    run.add_argument("--url", help="ask a running Byline at this URL instead of in process")
    run.add_argument("--name", help="run name (default: dataset and time)")
    run.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where run files go")
    run.add_argument("--limit", type=int, help="only the first N questions")
    run.add_argument(
        "--year", type=int, help="only this year's questions (realtimeqa-train's questions.jsonl)"
    )
    run.add_argument("--top-k", type=int, help="passages per answer (default: BYLINE_TOP_K)")
    run.add_argument(
        "--time-shifted",
        type=int,
        metavar="DAYS",
        help="also ask every dated question DAYS before its date, as an unanswerable one"
        " (decline recall and precision)",
    )
    run.set_defaults(handler=deferred("eval.cli:run_run"))

    comparison = kinds.add_parser("compare", help="compare two run files")
    comparison.add_argument("run_a", type=Path, help="the earlier run file (JSON)")
    comparison.add_argument("run_b", type=Path, help="the later run file (JSON)")
    comparison.add_argument("--html", type=Path, help="also write a self-contained HTML report")
    comparison.set_defaults(handler=deferred("eval.cli:run_compare"))

    check = kinds.add_parser("check", help="fail when a metric drops below a baseline run")
    check.add_argument("--baseline", type=Path, required=True, help="the kept run file")
    check.add_argument(
        "--tolerance", type=float, default=0.02, help="how far a metric may drop (default 0.02)"
    )
    check.add_argument("--run", type=Path, help="a run file to check (default: run it again)")
    check.add_argument(
        "--floor",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="also fail when this metric is under VALUE, whatever the baseline (repeatable)",
    )
    check.set_defaults(handler=deferred("eval.cli:run_check"))

    curve = kinds.add_parser(
        "curve", help="accuracy and declines per confidence threshold, from a run's rows"
    )
    curve.add_argument("run_file", type=Path, help="a run made with BYLINE_MIN_ANSWER_CONFIDENCE=0")
    curve.add_argument("--json", action="store_true", help="print the curve as JSON")
    curve.add_argument(
        "--subset",
        type=Path,
        help="only the questions whose ids this JSONL file lists (with their shifted copies),"
        " e.g. baselines-dev.jsonl: the questions the published peers answered",
    )
    curve.set_defaults(handler=deferred("eval.cli:run_curve"))

    outlets = kinds.add_parser("outlets", help="outlet recognition on MultiHop-RAG queries")
    outlets.add_argument("--queries", type=Path, required=True, help="MultiHopRAG.json")
    outlets.add_argument("--metadata", type=Path, required=True, help="corpus_metadata.json")
    outlets.add_argument("--json", action="store_true", help="print the totals as JSON")
    outlets.set_defaults(handler=deferred("eval.cli:run_outlets"))

    extraction = kinds.add_parser(
        "extraction",
        help="article bodies read from real pages, scored as the ScrapingHub benchmark scores them",
    )
    extraction.add_argument(
        "--pages",
        type=Path,
        default=EXTRACTION_PAGES,
        help="a folder of html/<id>.html.gz and ground-truth.json (default: the shared copy)",
    )
    extraction.add_argument(
        "--choose", action="store_true", help="also score each option on the choosing half"
    )
    extraction.add_argument("--json", action="store_true", help="print the report as JSON")
    extraction.set_defaults(handler=deferred("eval.cli:run_extraction"))

    stories = kinds.add_parser(
        "stories",
        help="wire-copy grouping: precision and recall on a set built from real 2024 articles",
    )
    stories.add_argument(
        "--articles",
        type=Path,
        default=TRAIN_DATA / "articles.jsonl.gz",
        help="the training corpus (default: the shared realtimeqa-train copy)",
    )
    stories.set_defaults(handler=deferred("eval.cli:run_stories"))

    dates = kinds.add_parser(
        "dates", help="the time windows read into the training questions, to count false ones"
    )
    dates.add_argument(
        "--questions",
        type=Path,
        default=TRAIN_DATA / "questions.jsonl",
        help="the training questions (default: the shared realtimeqa-train copy)",
    )
    dates.set_defaults(handler=deferred("eval.cli:run_dates"))


EXTRACTION_PAGES = Path(__file__).resolve().parents[1].parent / "shared/datasets/article-extraction"
TRAIN_DATA = Path(__file__).resolve().parents[1].parent / "shared/datasets/realtimeqa-train"


def register_train(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("train", help="train the answerer's models on training years")
    kinds = parser.add_subparsers(dest="train_kind", required=True)
    for name, help_text in (
        ("answerer", "the cheap ranker's sentence model and its confidence"),
        ("reader", "the reader (a cross-encoder from the packaged MiniLM) and its confidence"),
        (
            "calibration",
            "the candidate evidence, the answer's calibrated confidence and its short answer",
        ),
    ):
        sub = kinds.add_parser(name, help=help_text)
        sub.add_argument(
            "--questions",
            type=Path,
            default=TRAIN_DATA / "questions.jsonl",
            help="training questions (realtimeqa-train's questions.jsonl)",
        )
        sub.add_argument(
            "--articles",
            type=Path,
            default=TRAIN_DATA / "articles.jsonl.gz",
            help="their search results' articles (JSONL, gzipped or not)",
        )
        sub.add_argument("--work", type=Path, default=Path(".byline-train"), help="caches")
        sub.add_argument(
            "--held-out-year",
            type=int,
            default=2025,
            help="never trained on: chooses the settings (default 2025)",
        )
        sub.add_argument(
            "--limit", type=int, help="only the first N questions of each year (a smoke run)"
        )
        sub.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        sub.add_argument("--threads", type=int, default=1, help="torch threads")
        _register_judged(sub)
    answerer = kinds.choices["answerer"]
    answerer.add_argument("--out", type=Path, help="weights file (default: the shipped one)")
    answerer.set_defaults(handler=deferred("eval.training.cli:run_train_answerer"))
    reader = kinds.choices["reader"]
    reader.add_argument("--out", type=Path, help="reader folder (default: the shipped one)")
    reader.add_argument("--epochs", type=int, default=3, help="passes over the data")
    reader.add_argument(
        "--trained-layers", type=int, default=2, help="top MiniLM layers trained (default 2)"
    )
    reader.add_argument("--shortlist", type=int, default=8, help="sentences the reader reads")
    reader.add_argument(
        "--any-positive",
        action="store_true",
        help="where no right sentence passes the rules, train on one they held back",
    )
    reader.set_defaults(handler=deferred("eval.training.cli:run_train_reader"))
    register_train_calibration(kinds.choices["calibration"])


JUDGED = TRAIN_DATA.parent / "realtimeqa-2023"


def _register_stores(parser: argparse.ArgumentParser) -> None:
    """The stores a retrieval stage trains over and is chosen on, and what it must not see."""
    parser.add_argument(
        "--store",
        type=Path,
        required=True,
        help="a data dir `byline ingest` built of the training years' articles",
    )
    parser.add_argument(
        "--held-out-store",
        type=Path,
        required=True,
        help="a data dir of the held-out year's articles: the settings are chosen over it",
    )


def _register_judged(parser: argparse.ArgumentParser) -> None:
    """What every training job must not see: one gate for its questions, pools and stores."""
    parser.add_argument(
        "--judged-corpus",
        type=Path,
        default=JUDGED / "corpus.jsonl.gz",
        help="articles training must never see (RealTime QA 2023's corpus)",
    )
    parser.add_argument(
        "--judged-questions",
        type=Path,
        nargs="+",
        default=[JUDGED / "questions-dev.jsonl"],
        help="questions training must never see (RealTime QA 2023's)",
    )


def register_train_calibration(calibration: argparse.ArgumentParser) -> None:
    _register_stores(calibration)
    calibration.add_argument("--out", type=Path, help="calibration file (default: the shipped one)")
    calibration.add_argument(
        "--evidence-out", type=Path, help="evidence model file (default: the shipped one)"
    )
    calibration.add_argument(
        "--max-lift",
        type=float,
        help="the largest lift a sentence may get from its candidate (default: no bound; the"
        " shipped model: 2, the largest at which the seed check's floors hold)",
    )
    calibration.set_defaults(handler=deferred("eval.training.cli:run_train_calibration"))
