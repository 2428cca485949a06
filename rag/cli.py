"""The ``byline`` command: ingest, serve, ask, and commands that other packages register.

``eval`` lives in the eval package and arrives through the ``byline.commands`` entry point, so
that rag/ never imports eval/.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError

from rag.errors import BylineError, IngestError
from rag.settings import Settings, get_settings, variable_of

if TYPE_CHECKING:  # each command imports what it uses, so that `byline --help` is quick
    from rag.api.schemas import AskResponse
    from rag.domain.models import Article

M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
Handler = Callable[[argparse.Namespace, Settings], int]
LOGGING_COMMANDS = ("serve", "slack", "watch")  # long-running: their logs are BYLINE_LOG_LEVEL's
VERBOSE_HELP = "also print Byline's informational log lines (at BYLINE_LOG_LEVEL) on stderr"


def command_line() -> None:
    """The ``byline`` script."""
    try:
        sys.exit(main(exit_at_once=True))
    except BrokenPipeError:
        # The reader of our output went away (`byline ask --json | head -c 100`): not an
        # error worth a traceback. Point stdout at /dev/null so the exit's flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def main(argv: Sequence[str] | None = None, exit_at_once: bool = False) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = variable_of(error["loc"])
            where = f"setting {name}" if name else "settings"
            print(f"byline: {where}: {error['msg']}", file=sys.stderr)
        return 2
    # Libraries' INFO chatter stays out of the CLI's output. Byline's own loggers follow the
    # setting in a server; a one-shot command says only warnings unless asked (--verbose).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command in LOGGING_COMMANDS or getattr(args, "verbose", False):
        logging.getLogger("byline").setLevel(settings.http.log_level.upper())
    handler: Handler = args.handler
    try:
        code = handler(args, settings)
    except BylineError as exc:
        print(f"byline: {exc.message}", file=sys.stderr)
        return 2
    if exit_at_once and args.command == "ask":
        _exit_now(code)
    return code


def _exit_now(code: int) -> NoReturn:
    """Exit once the answer is out, without the interpreter's teardown: unloading chromadb's
    and onnxruntime's native objects and joining their threads took 0.25 s of a 1.6 s
    ``byline ask`` (measured). Safe for ask alone: it writes nothing, and every SQLite
    connection it opened is already closed."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="byline", description="Byline: answers about the news, cited to their passages."
    )
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser(
        "ingest",
        help="ingest article files and folders, web pages, feeds, sitemaps and web archives",
    )
    ingest.add_argument(
        "inputs",
        nargs="+",
        metavar="PATH_OR_URL",
        help="files and folders of articles (text, JSON, JSONL, HTML, WARC), or http(s) URLs of"
        " pages, RSS/Atom feeds and sitemaps",
    )
    ingest.add_argument(
        "--dry-run",
        action="store_true",
        help="read (and fetch) everything and print what would be stored; open no store",
    )
    ingest.add_argument(
        "--jsonl",
        action="store_true",
        help="with --dry-run: one JSON object a line per article (source, title, outlet, url,"
        " published_at, author, language, body)",
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--shard",
        metavar="I/N",
        help="ingest only worker I's share of N (0-based), for N workers on a Chroma server",
    )
    ingest.set_defaults(handler=run_ingest)

    watch = commands.add_parser(
        "watch", help="keep the store current: poll feeds and sitemaps, ingest what they newly list"
    )
    watch.add_argument(
        "feeds",
        nargs="*",
        metavar="FEED_OR_SITEMAP",
        help="RSS/Atom feed or sitemap URLs (default: BYLINE_WATCH_FEEDS)",
    )
    watch.add_argument("--once", action="store_true", help="poll once and exit (cron, tests)")
    watch.add_argument(
        "--interval", type=float, help="seconds between polls (default: BYLINE_WATCH_INTERVAL_S)"
    )
    watch.add_argument(
        "--metrics-port",
        type=int,
        help="serve the watcher's Prometheus counters on this port (default: none)",
    )
    watch.set_defaults(handler=run_watch)

    upgrade = commands.add_parser(
        "upgrade",
        help="bring a store written by an earlier release to this release's layout, in place"
        " (no re-embedding)",
    )
    upgrade.add_argument("--quiet", action="store_true", help="no progress bar")
    upgrade.set_defaults(handler=run_upgrade)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="bind address (default: BYLINE_HOST)")
    serve.add_argument("--port", type=int, help="port (default: BYLINE_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="API worker processes")
    serve.set_defaults(handler=run_serve)

    ask = commands.add_parser("ask", help="answer one question from the command line")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print exactly the /ask response body")
    ask.add_argument("--top-k", type=int, help="passages to retrieve, 1-20 (default: BYLINE_TOP_K)")
    ask.add_argument(
        "--outlet",
        action="append",
        dest="outlets",
        metavar="OUTLET",
        help="only this outlet (repeatable; case-insensitive)",
    )
    ask.add_argument("--since", help="YYYY-MM-DD or an ISO time")
    ask.add_argument("--until", help="YYYY-MM-DD or an ISO time")
    ask.add_argument("--as-of", help="answer as of this date or time (default: now)")
    ask.set_defaults(handler=run_ask)

    mcp = commands.add_parser(
        "mcp",
        help="serve Byline's tools to an agent client over MCP on stdin/stdout (desktop clients;"
        " `byline serve` also serves them over HTTP at /mcp)",
    )
    mcp.set_defaults(handler=run_mcp)

    slack = commands.add_parser("slack", help="run the Slack bot over Socket Mode")
    slack.set_defaults(handler=run_slack)

    feedback = commands.add_parser("feedback", help="the Slack bot's helpful / not helpful clicks")
    feedback_commands = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_commands.add_parser("export", help="print every click")
    export.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="output format (default jsonl)"
    )
    export.set_defaults(handler=run_feedback_export)

    for entry in entry_points(group="byline.commands"):
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
        register = entry.load()
        register(commands)
    _verbose_after_every_command(parser)
    return parser


def _verbose_after_every_command(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` after any command's name too (``byline slack --verbose``), registered
    commands included; it never overrides the flag given before the name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--verbose" not in sub._option_string_actions:
                    sub.add_argument(
                        "--verbose",
                        action="store_true",
                        default=argparse.SUPPRESS,
                        help=VERBOSE_HELP,
                    )
                _verbose_after_every_command(sub)


def deferred(target: str) -> Handler:
    """The handler ``module:function``, imported only when its command runs: registering a
    command must not import what it uses (``byline ask`` would pay for ``eval``'s imports)."""
    module, name = target.split(":")

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        run: Handler = getattr(importlib.import_module(module), name)
        return run(args, settings)

    return handler


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every input was stored or found unchanged, 1 when some failed, 2 for a
    usage error."""
    from tqdm import tqdm

    from rag.wiring import article_inputs, ingest_session

    if args.jsonl and not args.dry_run:
        print("byline: --jsonl is the output of --dry-run; add --dry-run", file=sys.stderr)
        return 2
    notes: list[str] = []
    items = article_inputs(settings, args.inputs, notes.append)
    if args.dry_run:
        code = _dry_run(items, args.jsonl)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        return code

    def rejected(message: str) -> None:
        tqdm.write(f"rejected: {message}", file=sys.stderr)

    with ingest_session(settings, args.shard, rejected) as ingestor:
        summary = ingestor.ingest(items, progress=not args.quiet)
    print(summary.line())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 1 if summary.rejected else 0


def _dry_run(items: Iterable[Article | IngestError], jsonl: bool) -> int:
    """Every article as ingest would store it, on stdout; rejections on stderr, one line each."""
    from rag.wiring import dry_run_record

    failed = 0
    for item in items:
        if isinstance(item, IngestError):
            failed += 1
            print(f"rejected: {item.message}", file=sys.stderr)
        elif jsonl:
            print(json.dumps(dry_run_record(item), ensure_ascii=False), flush=True)
        else:
            dated = item.published_at.date().isoformat() if item.published_at else "undated"
            print(f"{item.title} · {item.outlet} · {dated} · {item.url or item.source}")
    return 1 if failed else 0


def run_watch(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the last poll stored or found unchanged everything it listed, else 1."""
    from rag.wiring import watch_feeds

    feeds = args.feeds or settings.ingest.watch.feeds
    if not feeds:
        print(
            "byline: watch what? give feed or sitemap URLs, or set BYLINE_WATCH_FEEDS",
            file=sys.stderr,
        )
        return 2
    interval = args.interval if args.interval is not None else settings.ingest.watch.interval_s
    if interval <= 0:
        print("byline: --interval must be above 0 seconds", file=sys.stderr)
        return 2

    def failed(message: str) -> None:
        print(f"failed: {message}", file=sys.stderr, flush=True)

    def polled(line: str) -> None:
        print(line, flush=True)

    failures = watch_feeds(settings, feeds, failed, polled, args.once, interval, args.metrics_port)
    return 1 if failures else 0


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from rag.wiring import upgrade_store

    shown = True if args.quiet else None  # None: only on a terminal
    with tqdm(unit=" chunks", disable=shown, desc="upgrade", leave=False) as bar:
        done = upgrade_store(settings, bar.update)
    print(done.line())
    return 0


def _few_malloc_arenas() -> None:
    """glibc gives threads that allocate at once arenas of their own, which only grow; with two
    the API's peak memory under 16 requests at once is ~80 MiB lower (672 → 589 MiB, measured
    on the whole RealTime QA store). Workers inherit it (the variable, for their own glibc)."""
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    with contextlib.suppress(OSError, AttributeError, ValueError):  # not glibc: its own rules
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    _few_malloc_arenas()
    host, port = args.host or settings.http.host, args.port or settings.http.port
    print(f"Byline's chat page: http://{host}:{port}/", file=sys.stderr)
    uvicorn.run(
        "rag.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=settings.http.log_level.lower(),
    )
    return 0


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.api.schemas import AskRequest, AskResponse
    from rag.retrieval.empty_result import empty_result_hints, nothing_to_search
    from rag.wiring import Components

    fields = {
        "question": args.question,
        "top_k": args.top_k,
        "outlets": args.outlets,
        "since": args.since,
        "until": args.until,
        "as_of": args.as_of,
    }
    try:
        request = AskRequest.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        print(
            f"byline: {'.'.join(map(str, first['loc'])) or 'request'}: {first['msg']}",
            file=sys.stderr,
        )
        return 2
    components = Components.load(settings)
    query = request.to_query(settings.retrieval.top_k)
    response = AskResponse.of(components.ask_service().ask(query))
    print(response.model_dump_json() if args.json else format_answer(response))
    if not response.declined:
        return 0
    heads = components.catalogue.everything()
    for hint in empty_result_hints(query, heads):
        print(f"byline: {hint}", file=sys.stderr)
    # Filters that leave nothing to search are the asker's to mend, whichever filter it was.
    return 1 if nothing_to_search(query, heads) else 0


def run_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from rag.api.mcp.tools import Services, build_mcp
    from rag.wiring import Components

    # Loaded before the first message, so that a client's first call is answered at once;
    # stdout carries the protocol alone (logs go to stderr).
    components = Components.load(settings)
    service = components.ask_service()
    catalogue = components.catalogue
    server = build_mcp(Services(lambda: service, lambda: catalogue, settings.retrieval.top_k))
    server.run("stdio")
    return 0


def run_slack(args: argparse.Namespace, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from rag.slack.bot import slack_bot
    from rag.wiring import Components

    bot_token = settings.slack.bot_token.get_secret_value()
    app_token = settings.slack.app_token.get_secret_value()
    if not bot_token or not app_token.startswith("xapp-"):
        raise BylineError(
            "Socket Mode needs BYLINE_SLACK_BOT_TOKEN (xoxb-...) and BYLINE_SLACK_APP_TOKEN "
            "(xapp-..., an app-level token with connections:write); see the README's Slack section"
        )
    service = Components.load(settings).ask_service()
    bot = slack_bot(settings, lambda: service)
    SocketModeHandler(bot.app, app_token).start()  # type: ignore[no-untyped-call]
    return 0


def run_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    import csv
    import json

    from rag.slack.store import SlackStore

    rows = SlackStore(settings.store.data_dir).feedback()
    if args.format == "csv":
        writer = csv.DictWriter(
            sys.stdout, ["at", "team", "channel", "message_ts", "user", "value", "question"]
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    return 0


def format_answer(response: AskResponse) -> str:
    from rag.render import article_line, sources_suffix

    text = response.answer
    if response.unsure:
        text = f"(Unsure: likelier wrong than right; check the sources.)\n{text}"
    if response.support is not None and response.support.text:
        text += f"\n{response.support.text}"
    if response.declined and response.searched is not None:
        text += f"\nSearched {response.searched.text}."
    if response.nearest:
        text += "\n\nThe nearest passages found:\n" + "\n".join(
            f"  {article_line(p)}" for p in response.nearest
        )
    return text + sources_suffix(response.citations, indent="  ", link=lambda url: f"<{url}>")


if __name__ == "__main__":
    command_line()
