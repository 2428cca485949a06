"""``byline train``: the answerer's learned parts, fitted on RealTime QA's training years.

    byline train answerer --questions Q --articles A   # the cheap ranker and its confidence
    byline train reader --questions Q --articles A     # the reader, its combining and confidence

Q and A: ``realtimeqa-train/questions.jsonl`` and ``articles.jsonl.gz`` (or a user's own data in
that shape). Questions of ``--held-out-year`` are never trained on: they choose the settings
and fit the confidence, and their figures are printed. Candidate pools are cached in ``--work``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from typing import Any

from rag.answering.selection import WEIGHTS
from rag.settings import Settings


def _pools(args: argparse.Namespace, settings: Settings) -> list[Any]:
    from eval.training.pool import (
        PoolBuilder,
        build_pools,
        load_articles,
        load_pools,
        save_pools,
        selected,
    )
    from eval.training.skeleton import training_questions
    from ingest.chunker import Chunker
    from rag.wiring import load_embedder

    name = "pools.pkl" if args.limit is None else f"pools-limit{args.limit}.pkl"
    path = args.work / name
    if path.is_file():
        print(f"candidate pools: {path} (cached)", file=sys.stderr)
        return load_pools(path)
    # The gate: no judged-year question, and no judged-year article in any pool.
    judged, questions = training_questions(args)
    head = _first_of_each_year(questions, args.limit)
    wanted = {a for q in head for a in q.search_results}
    articles = load_articles(args.articles, wanted, judged.refuses_article)
    embedder = load_embedder(settings, threads=args.threads)
    max_tokens = min(settings.ingest.chunk_max_tokens, embedder.max_tokens)
    chunker = Chunker(embedder.count_pieces, max_tokens, settings.ingest.chunk_overlap_tokens)
    builder = PoolBuilder(articles, chunker, embedder.embed, settings.retrieval.top_k)
    chosen = selected(head, articles, args.held_out_year)
    held = args.held_out_year
    pools = list(build_pools(chosen, builder, lambda q: q.year == held, every=questions))
    save_pools(pools, path)
    return pools


def _first_of_each_year(questions: list[Any], limit: int | None) -> list[Any]:
    if limit is None:
        return questions
    counts: dict[int, int] = {}
    kept = []
    for q in questions:
        counts[q.year] = counts.get(q.year, 0) + 1
        if counts[q.year] <= limit:
            kept.append(q)
    return kept


def _split(args: argparse.Namespace, lists: list[Any]) -> tuple[list[Any], list[Any]]:
    train = [s for s in lists if s.pool.question.year != args.held_out_year]
    held = [s for s in lists if s.pool.question.year == args.held_out_year]
    return train, held


def _print_table(title: str, table: list[Any], threshold: float, ece: float) -> None:
    print(title)
    print("threshold accuracy answered acc|answered first_sentence decline_recall(shifted)")
    for f in table:
        mark = "  <- default" if f.threshold == threshold else ""
        print(
            f"{f.threshold:9.2f} {f.accuracy:8.4f} {f.answered:8d} {f.accuracy_answered:12.4f}"
            f" {f.first_sentence_accuracy:14.4f} {f.decline_recall:10.4f}{mark}"
        )
    print(f"expected calibration error (held-out, out of fold): {ece}")


def run_train_answerer(args: argparse.Namespace, settings: Settings) -> int:
    from eval.training.answerer import train_answerer
    from eval.training.shortlist import shortlisted
    from rag.answering.selection import SelectionModel

    pools = _pools(args, settings)
    lists = [shortlisted(p, SelectionModel.load()) for p in pools]
    train, held = _split(args, lists)
    most = settings.answering.max_answer_sentences
    model, decided = train_answerer(train, held, most)
    title = f"held-out year {args.held_out_year}, cheap ranker:"
    _print_table(title, decided.table, decided.threshold, decided.ece)
    about = {
        "trained_on": sorted({s.pool.question.year for s in train}),
        "held_out_year": args.held_out_year,
        "questions": len({s.pool.question.question.id for s in lists}),
        "default_threshold": decided.threshold,
        "expected_calibration_error": decided.ece,
        "held_out": [asdict(f) for f in decided.table],
    }
    out = args.out or WEIGHTS
    replace(model, about=about).save(out)
    print(f"weights: {out} (keep_within {model.keep_within})", file=sys.stderr)
    return 0


def run_train_reader(args: argparse.Namespace, settings: Settings) -> int:
    from eval.training.answerer import Figures
    from eval.training.reader_job import ReaderJob

    meta = ReaderJob(args, settings, _pools(args, settings)).run()
    held = meta["held_out"]
    table = [Figures(**f) for f in held["reader"]]
    title = f"held-out year {held['year']}, reader over the cheap ranker's shortlist:"
    _print_table(title, table, meta["default_threshold"], held["expected_calibration_error"])
    return 0


def run_train_calibration(args: argparse.Namespace, settings: Settings) -> int:
    from eval.training.calibration import CalibrationJob

    about = CalibrationJob(args, settings).run()
    print(
        f"held-out year {about['held_out_year']}, reporting half ({about['reporting_questions']}"
        f" questions and their copies {about['time_shift_days']} days early);"
        f" ECE {about['reporting_ece']}"
    )
    print("threshold  accuracy  answered  among answered  early declined  short answer")
    for p in about["curve"]:
        mark = "  <- default" if p["threshold"] == about["default_threshold"] else ""
        print(
            f"{p['threshold']:9.2f}  {p['accuracy']:8.4f}  {p['answered']:8.4f}"
            f"  {p['accuracy_answered']:14.4f}  {p['decline_recall']:14.4f}"
            f"  {p['short_answer_accuracy']:12.4f}{mark}"
        )
    print(f"short answers shown from probability {about['short_threshold']}")
    return 0
