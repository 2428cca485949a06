"""``byline eval``: the seed eval set (default) and ``byline eval retrieval``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eval.anatomy import format_anatomy, run_anatomy
from eval.commands import SEED_CORPUS, STAGES
from eval.common import load_jsonl
from eval.compare import below_floors, compare, flips, format_comparison, regressions
from eval.outlets import run_outlet_eval
from eval.questions import (
    SEED_QUESTIONS,
    load_questions,
    of_year,
    seed_questions,
    time_shifted,
)
from eval.retrieval import format_retrieval, run_retrieval_eval
from eval.runs import (
    QUALITY,
    QuestionRow,
    RunFile,
    RunSetup,
    configuration,
    execute,
    in_process,
    load_run,
    mark_absent,
    over_http,
    portable_path,
    save_run,
    timed_name,
)
from eval.seed import format_report, run_seed_eval
from rag.retrieval.retriever import Query
from rag.settings import Settings, Tuning
from rag.wiring import Components


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    questions = seed_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="byline-eval-") as scratch:
        if args.corpus:
            settings = settings.updated(data_dir=Path(scratch))
        components = Components.load(settings)
        if args.corpus:
            summary = components.ingestor().ingest_paths(args.corpus)
            print(summary.line(), file=sys.stderr)
        report = run_seed_eval(
            components.ask_service(), questions, args.top_k or settings.retrieval.top_k
        )
    print(report.as_json() if args.json else format_report(report))
    return 0


def tuning_from(base: Tuning, without: str, overrides: list[str]) -> Tuning:
    changes: dict[str, Any] = {}
    for stage in filter(None, (s.strip() for s in without.split(","))):
        if stage not in STAGES:
            raise SystemExit(f"byline: unknown stage {stage!r} (one of {', '.join(STAGES)})")
        changes.update(STAGES[stage])
    for override in overrides:
        name, _, value = override.partition("=")
        if name not in Tuning.model_fields:
            raise SystemExit(f"byline: unknown tuning knob {name!r}")
        changes[name] = value
    try:  # validated as the environment's BYLINE_TUNING_* are
        return Tuning.model_validate(base.model_dump() | changes)
    except ValidationError as exc:
        raise SystemExit(f"byline: --set: {exc.errors()[0]['msg']}") from None


def run_curve(args: argparse.Namespace, settings: Settings) -> int:
    from eval.curve import curve, format_curve
    from eval.thresholds import THRESHOLDS
    from rag.wiring import serving_threshold

    try:
        rows = load_run(args.run_file)["questions"]
    except ValueError as exc:
        print(f"byline: {exc}", file=sys.stderr)
        return 2
    if args.subset:
        ids = {str(r["id"]) for r in load_jsonl(args.subset, dict, "a subset row")}
        rows = [r for r in rows if r["id"].split("@")[0] in ids]
    default = serving_threshold(settings)
    points = curve(rows, sorted({*THRESHOLDS, default}))
    if args.json:
        print(json.dumps([asdict(p) for p in points], indent=1))
    else:
        print(format_curve(points, default))
    return 0


def run_outlets(args: argparse.Namespace, settings: Settings) -> int:
    report = run_outlet_eval(args.queries, args.metadata)
    print(json.dumps(asdict(report)) if args.json else report.line())
    return 0


def run_extraction(args: argparse.Namespace, settings: Settings) -> int:
    from eval.extraction import format_extraction, run_extraction_eval

    if not (args.pages / "ground-truth.json").is_file():
        print(f"byline: {args.pages}: no ground-truth.json there", file=sys.stderr)
        return 2
    report = run_extraction_eval(args.pages, args.choose)
    print(json.dumps(asdict(report)) if args.json else format_extraction(report))
    return 0


def run_stories(args: argparse.Namespace, settings: Settings) -> int:
    from eval.stories import format_stories, run_stories_eval

    if not args.articles.is_file():
        print(f"byline: {args.articles}: no such file", file=sys.stderr)
        return 2
    print(format_stories(run_stories_eval(args.articles)))
    return 0


def run_dates(args: argparse.Namespace, settings: Settings) -> int:
    from eval.dates import format_dates, run_dates_eval

    if not args.questions.is_file():
        print(f"byline: {args.questions}: no such file", file=sys.stderr)
        return 2
    print(format_dates(run_dates_eval(args.questions)))
    return 0


def run_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    questions = of_year(load_questions("realtimeqa", args.questions), args.year)[: args.limit]
    components = Components.load(settings)
    retriever = components.retriever(tuning_from(settings.retrieval.tuning, args.without, args.set))
    retriever.retrieve(Query("warm-up", 1))  # builds the lexical index outside the timings
    report = run_retrieval_eval(retriever, questions, progress=not args.json, pool=args.pool)
    totals = report.summary()
    anatomy = None
    if args.anatomy:
        passages = components.lexical.every_passage()
        anatomy = run_anatomy(retriever, questions, passages, report.ranks, not args.json)
        totals["anatomy"] = anatomy.summary()
    if args.per_question:
        args.per_question.write_text(json.dumps(report.per_question), encoding="utf-8")
    if args.json:
        print(json.dumps(totals))
    else:
        print(format_retrieval(report))
        if anatomy:
            print(format_anatomy(anatomy))
    return 0


def execute_run(
    setup: RunSetup, settings: Settings, top_k: int | None, limit: int | None, runs_dir: Path
) -> Any:
    """Run the setup's questions (in process or over HTTP), save the run file, return the run."""
    questions = of_year(load_questions(setup.dataset, Path(setup.questions)), setup.year)[:limit]
    if setup.time_shifted:
        questions += time_shifted(questions, setup.time_shifted)
    if top_k:  # recorded in the run's configuration as the top_k it ran with
        settings = settings.updated(top_k=top_k)
    with tempfile.TemporaryDirectory(prefix="byline-run-") as scratch:
        if setup.url:
            rows = execute(questions, over_http(setup.url), progress=True)
            return _save(setup, settings, "server", rows, runs_dir)
        if setup.corpus:
            settings = settings.updated(data_dir=Path(scratch))
        components = Components.load(settings)
        if setup.corpus:
            summary = components.ingestor().ingest_paths([Path(c) for c in setup.corpus])
            print(summary.line(), file=sys.stderr)
        retriever = components.retriever()
        ask = in_process(components.ask_service(), retriever, settings.retrieval.top_k)
        rows = execute(questions, ask, progress=True)
        mark_absent(rows, components.store.texts())
        return _save(setup, settings, components.embedder.model_path.name, rows, runs_dir)


def _save(
    setup: RunSetup, settings: Settings, model: str, rows: list[QuestionRow], runs_dir: Path
) -> RunFile:
    path = runs_dir / f"{setup.name}.json"
    run = save_run(path, configuration(setup, settings, model), rows)
    print(f"run file: {path}", file=sys.stderr)
    return run


def run_run(args: argparse.Namespace, settings: Settings) -> int:
    questions = args.questions or (SEED_QUESTIONS if args.dataset == "seed" else None)
    if questions is None:
        raise SystemExit(f"byline: --questions is required for --dataset {args.dataset}")
    corpus = [portable_path(c) for c in args.corpus or []]
    if args.dataset == "seed" and not corpus and not args.url:
        corpus = [portable_path(SEED_CORPUS)]
    name = args.name or timed_name(args.dataset)
    setup = RunSetup(
        name, args.dataset, portable_path(questions), corpus, args.url, args.time_shifted, args.year
    )
    run = execute_run(setup, settings, args.top_k, args.limit, args.runs_dir)
    print(json.dumps(run["totals"], indent=1))
    return 0


def run_compare(args: argparse.Namespace, settings: Settings) -> int:
    run_a, run_b = load_run(args.run_a), load_run(args.run_b)
    names = (run_a["config"].get("name", "A"), run_b["config"].get("name", "B"))
    rows, flipped = compare(run_a, run_b), flips(run_a, run_b)
    print(format_comparison(rows, flipped, *names))
    if args.html:
        from eval.report import render_report  # matplotlib: only where a report is drawn

        args.html.write_text(render_report(run_a, run_b, rows, flipped, names), encoding="utf-8")
        print(f"report: {args.html}", file=sys.stderr)
    return 0


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    floors = _floors(args.floor)
    baseline = load_run(args.baseline)
    if args.run:
        run = load_run(args.run)
    else:
        config = baseline["config"]
        setup = RunSetup(
            f"check-{config['name']}",
            config["dataset"],
            config["questions"],
            config["corpus"],
            None,
            config.get("time_shifted"),
            config.get("year"),
        )
        runs_dir = Path(tempfile.mkdtemp(prefix="byline-check-"))
        run = execute_run(setup, settings, config["settings"].get("top_k"), None, runs_dir)
    dropped = regressions(baseline, run, args.tolerance)
    for metric, before, after in dropped:
        print(f"REGRESSION {metric}: {before:.3f} -> {after:.3f}", file=sys.stderr)
    under = below_floors(run, floors)
    for metric, floor, value in under:
        print(f"UNDER FLOOR {metric}: {value:.3f} < {floor:.3f}", file=sys.stderr)
    status = "fails" if dropped or under else "passes"
    print(
        f"check {status}: {len(dropped)} metric(s) dropped more than {args.tolerance},"
        f" {len(under)} under their floor"
    )
    return 1 if dropped or under else 0


def _floors(pairs: list[str]) -> dict[str, float]:
    floors = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in QUALITY:
            raise SystemExit(
                f"byline: --floor: unknown metric {name!r} (one of {', '.join(QUALITY)})"
            )
        try:
            floors[name] = float(value)
        except ValueError:
            raise SystemExit(f"byline: --floor {pair!r}: the value is not a number") from None
    return floors
