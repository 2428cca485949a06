"""Comparing runs: paired bootstrap, flips, the regression check and the HTML report."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from eval.compare import bootstrap_interval, compare, flips, regressions
from eval.report import render_report
from eval.runs import totals
from tests.test_cli import run as run_byline


def row(qid: str, kind: str, accuracy: float, recall: float, latency: float) -> dict[str, Any]:
    return {
        "id": qid,
        "question": f"Question {qid}?",
        "kind": kind,
        "answerable": True,
        "gold": ["x"],
        "searched": f"Question {qid}?",
        "passages": [],
        "answerer": "extractive",
        "answer": f"Answer <b>{qid}</b> [1].",
        "declined": False,
        "citations": [
            {
                "n": 1,
                "chunk_id": "c",
                "article_id": "a",
                "outlet": "CNN",
                "title": "T",
                "url": "",
                "published_at": None,
                "quote": "q",
            }
        ],
        "retrieval_ms": latency / 2,
        "answer_ms": latency / 2,
        "scores": {
            "accuracy": accuracy,
            "recall@1": recall,
            "recall@5": recall,
            "recall@10": recall,
            "recall@20": 1.0,
            "mrr": recall,
            "decline_accuracy": 1.0,
            "latency_ms": latency,
        },
    }


def make_run(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    config = {"name": name, "dataset": "seed", "settings": {"top_k": 5}}
    return {"config": config, "totals": totals(rows), "questions": rows}


A = make_run(
    "a",
    [
        row(f"q{i}", "CNN" if i % 2 else "The Week", float(i % 3 != 0), 0.0, 100 + i)
        for i in range(30)
    ],
)
B = make_run(
    "b", [row(f"q{i}", "CNN" if i % 2 else "The Week", 1.0, 1.0, 50 + i) for i in range(30)]
)


def test_the_bootstrap_interval_holds_the_mean_difference() -> None:
    low, high = bootstrap_interval([0.0] * 10 + [1.0] * 10)
    assert low < 0.5 < high and low > 0.2 and high < 0.8
    assert bootstrap_interval([0.25] * 5) == (0.25, 0.25)


def test_compare_pairs_questions_and_lists_flips() -> None:
    rows = {r.name: r for r in compare(A, B)}
    accuracy = rows["accuracy"]
    assert accuracy.paired == 30 and accuracy.a == 20 / 30 and accuracy.b == 1.0
    assert accuracy.low is not None and accuracy.low > 0  # a real improvement
    assert rows["recall@20"].diff == 0.0 and rows["latency_ms"].diff == -50.0
    assert rows["hits@10"].paired == 0 and rows["hits@10"].diff is None
    flipped = flips(A, B)
    assert {f.id for f in flipped} == {f"q{i}" for i in range(0, 30, 3)}
    assert all(f.now_right for f in flipped)
    assert flips(B, A) and not any(f.now_right for f in flips(B, A))


def test_regressions_beyond_the_tolerance() -> None:
    assert regressions(A, B, 0.02) == []
    dropped = {name for name, _, _ in regressions(B, A, 0.02)}
    assert {"accuracy", "recall@1", "mrr"} <= dropped and "recall@20" not in dropped
    nearly = copy.deepcopy(B)
    nearly["totals"]["accuracy"] = 0.99
    assert regressions(B, nearly, 0.02) == []


def test_the_report_is_self_contained_and_escaped() -> None:
    html = render_report(A, B, compare(A, B), flips(A, B), ("a", "b"))
    plots = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(plots) == 3  # drawn by matplotlib: named, labelled, with both runs' legend
    for plot, name in zip(plots, ("Answer recall", "per question type", "Latency"), strict=True):
        assert re.match(rf'<svg role="img" aria-label="[^"]*{name}', plot)
        assert "<title>" in plot and ">a</text>" in plot and ">b</text>" in plot
    assert ">k (passages)</text>" in plots[0] and ">answer recall@k</text>" in plots[0]
    assert not re.search(r"<script|<link|src=|@import", html)
    # Only XML namespace names, which nothing fetches.
    assert set(re.findall(r"https?://[^\"' ]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "Answer &lt;b&gt;q0&lt;/b&gt;" in html and "<b>q0</b>" not in html
    assert html.index("q0") < html.index("q1<")  # flipped questions first


def test_run_compare_and_check_from_the_command_line(tmp_path: Path) -> None:
    made = run_byline(
        "eval",
        "run",
        "--dataset",
        "seed",
        "--limit",
        "4",
        "--name",
        "mini",
        "--top-k",
        "3",
        "--runs-dir",
        str(tmp_path),
        data_dir=tmp_path / "unused",
    )
    assert made.returncode == 0, made.stderr
    path = tmp_path / "mini.json"
    mini = json.loads(path.read_text())
    assert mini["config"]["dataset"] == "seed" and len(mini["questions"]) == 4
    assert mini["config"]["prompts"] == ["answer.v1", "condense.v1"]
    assert "llm_api_key" not in mini["config"]["settings"]
    assert mini["config"]["settings"]["top_k"] == 3  # what it ran with, not the default
    assert mini["config"]["corpus"] == ["examples/articles"]
    compared = run_byline(
        "eval",
        "compare",
        str(path),
        str(path),
        "--html",
        str(tmp_path / "r.html"),
        data_dir=tmp_path / "unused",
    )
    assert compared.returncode == 0 and "flipped to wrong in mini: 0" in compared.stdout
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    same = run_byline(
        "eval", "check", "--baseline", str(path), "--run", str(path), data_dir=tmp_path / "unused"
    )
    assert same.returncode == 0 and "check passes" in same.stdout
    better = copy.deepcopy(mini)
    better["totals"]["accuracy"] = 2.0
    (tmp_path / "better.json").write_text(json.dumps(better))
    worse = run_byline(
        "eval",
        "check",
        "--baseline",
        str(tmp_path / "better.json"),
        "--run",
        str(path),
        data_dir=tmp_path / "unused",
    )
    assert worse.returncode == 1 and "REGRESSION accuracy" in worse.stderr


def test_check_fails_under_a_floor_whatever_the_baseline(tmp_path: Path) -> None:
    run = {
        "config": {"name": "r"},
        "totals": {"accuracy": 0.9, "decline_recall": 0.7},
        "questions": [],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(run))
    check = ("eval", "check", "--baseline", str(path), "--run", str(path))
    held = run_byline(*check, "--floor", "accuracy=0.85", data_dir=tmp_path / "unused")
    assert held.returncode == 0 and "0 under their floor" in held.stdout
    under = run_byline(*check, "--floor", "decline_recall=0.8", data_dir=tmp_path / "unused")
    assert under.returncode == 1 and "UNDER FLOOR decline_recall: 0.700 < 0.800" in under.stderr
    unknown = run_byline(*check, "--floor", "charm=1", data_dir=tmp_path / "unused")
    assert unknown.returncode != 0 and "unknown metric 'charm'" in unknown.stderr


def test_a_time_shifted_run_reports_decline_recall(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    record = {
        "id": "r1",
        "question": "Who is Ukraine's defense minister?",
        "question_date": "2024-10-18",
        "choices": ["Rustem Umerov", "Mark Rutte", "Julianne Smith", "Donald Trump"],
        "answer_index": 0,
        "answer": "Rustem Umerov",
    }
    questions.write_text(json.dumps(record) + "\n")
    made = run_byline(
        "eval", "run", "--dataset", "realtimeqa", "--questions", str(questions),
        "--corpus", "examples/articles", "--time-shifted", "30", "--name", "shifted",
        "--runs-dir", str(tmp_path), data_dir=tmp_path / "unused",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = json.loads((tmp_path / "shifted.json").read_text())
    assert [q["id"] for q in run["questions"]] == ["r1", "r1@-30d"]
    assert run["config"]["time_shifted"] == 30
    assert run["totals"]["decline_recall"] is not None
    assert not run["questions"][0]["declined"]  # asked on its own date: answered
