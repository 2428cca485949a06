"""The installed ``byline`` command, end to end in subprocesses."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from rag.api.schemas import AskResponse
from rag.slack.store import SlackStore
from tests.conftest import SEEDS

BYLINE = str(Path(sys.executable).parent / "byline")


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BYLINE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [BYLINE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_ingest_then_ask_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"\n', encoding="utf-8")
    ingested = run("ingest", "--quiet", str(SEEDS), str(bad), data_dir=tmp_path / "data")
    assert ingested.returncode == 1  # something was rejected
    assert "read 3 · new 2 · updated 0 · unchanged 0 · duplicate 0 · rejected 1" in ingested.stdout
    assert f"{bad}:1: invalid JSON" in ingested.stderr

    asked = run(
        "ask",
        "--json",
        "How much military aid did NATO say it would deliver to Ukraine?",
        data_dir=tmp_path / "data",
    )
    assert asked.returncode == 0, asked.stderr
    body = json.loads(asked.stdout)
    assert set(body) == set(AskResponse.model_fields)
    assert body["answerer"] == "extractive"
    assert "€40 billion" in body["answer"]
    assert body["citations"][0]["outlet"] == "ICARO Media Group"


def test_a_bad_question_is_a_usage_error(tmp_path: Path) -> None:
    asked = run("ask", "x" * 2001, data_dir=tmp_path / "data")
    assert asked.returncode == 2
    assert "question" in asked.stderr


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "BYLINE_DATA_DIR": str(tmp_path), "BYLINE_TOP_K": "lots"}
    result = subprocess.run(
        [BYLINE, "ask", "anything"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "BYLINE_TOP_K" in result.stderr


def test_feedback_export_prints_every_click(tmp_path: Path) -> None:
    store = SlackStore(tmp_path)
    store.add_feedback(
        team="T1", channel="C1", message_ts="1.2", user="U1", value="helpful", question="Q, “1”?"
    )
    exported = run("feedback", "export", data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    [row] = [json.loads(line) for line in exported.stdout.splitlines()]
    assert (row["user"], row["value"], row["question"]) == ("U1", "helpful", "Q, “1”?")
    as_csv = run("feedback", "export", "--format", "csv", data_dir=tmp_path)
    assert as_csv.stdout.splitlines()[0] == "at,team,channel,message_ts,user,value,question"
    assert len(as_csv.stdout.splitlines()) == 2


def test_socket_mode_without_tokens_says_what_is_missing(tmp_path: Path) -> None:
    started = run("slack", data_dir=tmp_path)
    assert started.returncode == 2
    assert "BYLINE_SLACK_APP_TOKEN" in started.stderr


def test_ask_explains_an_empty_result_and_survives_calendar_edges(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run("ingest", "--quiet", str(SEEDS), data_dir=data).returncode == 0
    question = "What did Rutte say about the victory plan?"
    unknown = run("ask", question, "--outlet", "CNN", data_dir=data)
    assert unknown.returncode == 1, unknown.stderr  # the filters leave nothing to search
    assert "Not found in the ingested articles." in unknown.stdout
    assert (
        "byline: no articles from 'CNN' are ingested; ingested outlets: "
        "ICARO Media Group (1), NewsTrack (1)" in unknown.stderr
    )
    ranged = run("ask", question, "--outlet", "NewsTrack", "--since", "2024-10-01", data_dir=data)
    assert "leaves out the 1 undated article(s)" in ranged.stderr
    assert ranged.returncode == 1  # NewsTrack's one article is undated: the same empty filter
    early = run("ask", "What did NATO say last week?", "--as-of", "0001-01-15", data_dir=data)
    assert early.returncode == 0, early.stderr  # the undated article was still searched
    assert "no dated article falls in the dates asked for" in early.stderr
    year_zero = run("ask", "What did NATO say in January 0000?", data_dir=data)
    assert year_zero.returncode == 0, year_zero.stderr


def test_settings_that_only_work_together_are_checked_at_start(tmp_path: Path) -> None:
    cases = [
        ({"BYLINE_SLACK_BOT_TOKEN": "xoxb-1"}, "BYLINE_SLACK_SIGNING_SECRET is not"),
        ({"BYLINE_SLACK_SIGNING_SECRET": "s"}, "BYLINE_SLACK_BOT_TOKEN is not"),
        ({"BYLINE_CHUNK_MAX_TOKENS": "64", "BYLINE_CHUNK_OVERLAP_TOKENS": "64"}, "must be below"),
    ]
    for extra, complaint in cases:
        env = {**os.environ, "BYLINE_DATA_DIR": str(tmp_path), **extra}
        result = subprocess.run(
            [BYLINE, "ask", "anything"], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("byline: settings: "), result.stderr
        assert complaint in result.stderr


def test_output_cut_short_by_its_reader_is_no_traceback(tmp_path: Path) -> None:
    """`byline ask --json | head -c 100`: the reader goes away before the output is written
    (here the pipe's read end is closed at once, so every write fails), for any command."""
    env = {**os.environ, "BYLINE_DATA_DIR": str(tmp_path / "data")}
    for argv in (["ask", "--json", "What did NATO say?"], ["--help"], ["eval", "--help"]):
        process = subprocess.Popen(
            [BYLINE, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read()
        process.stderr.close()
        process.wait(timeout=300)
        assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_every_option_of_every_command_says_what_it_does() -> None:
    from rag.cli import build_parser

    def undocumented(parser: argparse.ArgumentParser, path: str) -> Iterator[str]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from undocumented(sub, f"{path} {name}")
            elif not action.help:
                yield f"{path} {'/'.join(action.option_strings) or action.dest}"

    assert list(undocumented(build_parser(), "byline")) == []


def test_verbose_is_taken_after_every_commands_name() -> None:
    """As the docs say: `byline slack --verbose`, `byline eval run --verbose` and the rest."""

    def leaves(parser: argparse.ArgumentParser, path: list[str]) -> Iterator[list[str]]:
        groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not groups:
            yield path
        for group in groups:
            for name, sub in group.choices.items():
                yield from leaves(sub, [*path, name])

    from rag.cli import build_parser

    parser = build_parser()
    commands = list(leaves(parser, []))
    assert ["slack"] in commands and ["eval", "run"] in commands and ["serve"] in commands
    for command in commands:
        node = parser
        for name in command:
            action = next(a for a in node._actions if isinstance(a, argparse._SubParsersAction))
            node = action.choices[name]
        assert "--verbose" in node._option_string_actions, " ".join(command)
    assert build_parser().parse_args(["slack", "--verbose"]).verbose is True
    assert build_parser().parse_args(["--verbose", "serve"]).verbose is True  # never overridden


def test_progress_bars_draw_only_on_a_terminal(tmp_path: Path) -> None:
    """Piped to a log (CI, cron, a systemd journal), ingest writes no cursor codes."""
    ingested = run("ingest", str(SEEDS), data_dir=tmp_path / "data")  # no --quiet
    assert ingested.returncode == 0, ingested.stderr
    assert "\x1b[" not in ingested.stderr and "\r" not in ingested.stderr
