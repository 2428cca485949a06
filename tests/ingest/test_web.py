"""`byline ingest URL`, `byline watch` and the fetcher, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from ingest.fetch import Fetched, Fetcher, FetchFailure
from ingest.watch import STATE_FILE, Watcher, WatchMetrics
from rag.cli import main
from rag.retrieval.retriever import Query
from rag.settings import FetchSettings, Settings, WatchSettings
from rag.wiring import Components, open_store
from tests.conftest import components_at
from tests.ingest.web_server import Route, Site, atom, news_page, rss, serving, sitemap

BYLINE = str(Path(sys.executable).parent / "byline")
# Stories that read as news: a headline and paragraphs long enough to be an article.
STORIES = {
    "dam": (
        "Flood waters breach dam above Valmora",
        [
            "Flood waters breached the Carrow dam above the town of Valmora on Tuesday night,"
            " forcing 3,200 residents from their homes, regional officials said.",
            "The river rose by four metres in six hours after three days of rain, the regional"
            " water authority said, and engineers had warned of cracks in the wall since March.",
            "Emergency crews evacuated two care homes and a school by boat. No deaths were"
            " reported, but eleven people were treated for hypothermia.",
        ],
        "2024-11-05T08:00:00+00:00",
    ),
    "bank": (
        "Central bank of Norland holds rates at 4.5 percent",
        [
            "The central bank of Norland held its main interest rate at 4.5 percent on Thursday,"
            " the third pause in a row, citing inflation that remains above its target.",
            "Governor Ilse Brandt said the bank would watch wage growth closely before any cut,"
            " and that the board had voted seven to two to keep rates where they were.",
            "Markets had priced in a hold. The krone rose 0.3 percent against the euro after"
            " the announcement, while bond yields fell slightly.",
        ],
        "2024-11-07T12:30:00+00:00",
    ),
    "rail": (
        "Night trains return between Halden and Ostmark",
        [
            "Night trains between Halden and Ostmark will run again from December after a"
            " decade-long gap, the national railway said on Monday.",
            "The service will leave Halden at 21:40 three times a week and arrive in Ostmark at"
            " 07:15, with sleeper cabins priced from 89 euros, the company said.",
            "Rail groups welcomed the return, which follows a rise in demand for overnight travel"
            " since fares for short flights were taxed last year.",
        ],
        "2024-11-04T06:00:00+00:00",
    ),
}


def page_route(key: str, site_name: str = "Valmora Courier") -> Route:
    title, paragraphs, date = STORIES[key]
    return Route(body=news_page(title, paragraphs, date, site_name))


def fetch_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("BYLINE_DATA_DIR", str(data_dir))
    # Long enough for a loopback answer while the test process is busy (the server is a thread
    # of it); the held routes never answer within it.
    monkeypatch.setenv("BYLINE_FETCH_TIMEOUT_S", "5")
    monkeypatch.setenv("BYLINE_FETCH_HOST_DELAY_S", "0")
    monkeypatch.setenv("BYLINE_FETCH_MAX_BYTES", "1000000")


def the_site_routes(feed: str = "/feed.xml") -> dict[str, Route]:
    """A site with every case the fetcher meets: good pages, a robots.txt forbidding /private/,
    a redirect, a 404, a page slower than the timeout, a 50 MB page, a PDF."""
    hold = threading.Event()  # the slow page answers only when the server shuts down
    return {
        "/robots.txt": Route(
            body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        ),
        "/news/dam.html": page_route("dam"),
        "/news/bank.html": page_route("bank"),
        "/old/bank": Route(status=301, headers={"Location": "/news/bank.html"}),
        "/private/rail.html": page_route("rail"),
        "/slow.html": Route(body=page_route("rail").body, hold=hold),
        "/huge.html": Route(stream_bytes=50_000_000),
        "/report.pdf": Route(body=b"%PDF-1.4 not a page", content_type="application/pdf"),
    }


def listed(site: Site, *paths: str) -> list[tuple[str, str, str]]:
    return [(site.link(p), f"Item {p}", "Tue, 05 Nov 2024 08:00:00 GMT") for p in paths]


def test_ingest_url_of_a_feed_stores_the_good_pages_and_reports_each_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = the_site_routes()
    with serving(routes) as site:
        paths = ["/news/dam.html", "/old/bank", "/private/rail.html", "/missing.html"]
        paths += ["/slow.html", "/huge.html", "/report.pdf"]
        routes["/feed.xml"] = Route(
            body=rss(listed(site, *paths)), content_type="application/rss+xml"
        )
        fetch_env(monkeypatch, tmp_path / "data")
        code = main(["ingest", "--quiet", site.link("/feed.xml")])
        out, err = capsys.readouterr()
        hits = dict(site.hits)
    assert code == 1  # some inputs failed: cron notices
    assert "new 2 ·" in out and "rejected 5" in out
    failures = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert len(failures) == 5  # one line each, no traceback
    assert "Traceback" not in err
    expected = {
        "/private/rail.html": "robots.txt forbids it",
        "/missing.html": "HTTP 404",
        "/slow.html": "no answer within 5 s",
        "/huge.html": "over 1,000,000 bytes",
        "/report.pdf": "not HTML (application/pdf)",
    }
    for path, words in expected.items():
        assert any(site.link(path) in line and words in line for line in failures), path
    assert "/private/rail.html" not in hits  # robots.txt obeyed: never asked for
    assert hits["/robots.txt"] == 1  # read once for the host
    store = open_store(Settings(data_dir=tmp_path / "data"))
    heads = {head.title: head for _, head in store.article_heads()}
    assert set(heads) == {STORIES["dam"][0], STORIES["bank"][0]}
    bank = heads[STORIES["bank"][0]]
    assert bank.url == site.link("/news/bank.html")  # the redirect followed to where it ends
    assert bank.outlet == "Valmora Courier"  # the site's name
    assert bank.published_at.startswith("2024-11-07")


def test_dry_run_prints_each_article_as_json_and_opens_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving({"/news/rail.html": page_route("rail", site_name="")}) as site:
        fetch_env(monkeypatch, tmp_path / "data")
        code = main(["ingest", "--dry-run", "--jsonl", site.link("/news/rail.html")])
        out, err = capsys.readouterr()
    assert code == 0, err
    (line,) = out.splitlines()
    record = json.loads(line)
    assert set(record) == {
        "source", "title", "outlet", "url", "published_at", "author", "language", "body",
    }  # fmt: skip
    assert record["title"] == STORIES["rail"][0]
    assert record["outlet"] == "127.0.0.1"  # no site name: the domain
    assert record["language"] == "en"
    assert record["published_at"].startswith("2024-11-04")
    assert "sleeper cabins priced from 89 euros" in record["body"]
    assert "Subscribe to our newsletter" not in record["body"]  # the page's furniture left out
    assert not (tmp_path / "data").exists()  # no store created or opened


def test_jsonl_without_dry_run_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["ingest", "--jsonl", str(tmp_path)]) == 2


def test_watch_once_stores_new_links_and_a_second_poll_fetches_no_page_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = {
        "/news/dam.html": page_route("dam"),
        "/news/bank.html": page_route("bank"),
        "/news/rail.html": page_route("rail"),
    }
    with serving(routes) as site:
        entries = [
            (site.link("/news/dam.html"), "Dam", "2024-11-05T08:00:00Z"),
            (site.link("/news/bank.html"), "Bank", "2024-11-07T12:30:00Z"),
        ]
        routes["/atom.xml"] = Route(
            body=atom(entries), content_type="application/atom+xml", etag='"v1"'
        )
        when = "2024-11-04T06:00:00Z"
        routes["/sitemap.xml"] = Route(
            body=sitemap([(site.link("/news/rail.html"), when)]), content_type="application/xml"
        )
        fetch_env(monkeypatch, tmp_path / "data")
        feeds = [site.link("/atom.xml"), site.link("/sitemap.xml")]
        assert main(["watch", "--once", *feeds]) == 0
        first = capsys.readouterr().out
        pages_after_first = sum(n for path, n in site.hits.items() if path.startswith("/news/"))
        assert main(["watch", "--once", *feeds]) == 0
        second = capsys.readouterr().out
        pages_after_second = sum(n for path, n in site.hits.items() if path.startswith("/news/"))
        # The entry of one page says it was updated: that page alone is fetched again.
        entries[1] = (entries[1][0], "Bank", "2024-11-08T09:00:00Z")
        routes["/atom.xml"] = Route(
            body=atom(entries), content_type="application/atom+xml", etag='"v2"'
        )
        assert main(["watch", "--once", *feeds]) == 0
        third = capsys.readouterr().out
        hits = dict(site.hits)
    assert "stored 3" in first
    assert pages_after_first == 3
    assert pages_after_second == 3  # the second poll fetched no page again
    assert "feeds 2 (unchanged 1)" in second  # the Atom feed answered 304 to its ETag
    assert hits["/news/bank.html"] == 2 and hits["/news/dam.html"] == 1
    assert "unchanged 1" in third  # the re-fetched page's body had not changed: nothing written
    state = json.loads((tmp_path / "data" / STATE_FILE).read_text())
    assert set(state["seen"]) == {site.link(p) for p in routes if p.startswith("/news/")}


def test_a_watcher_killed_mid_poll_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = threading.Event()
    routes = {
        "/news/dam.html": page_route("dam"),
        "/news/bank.html": page_route("bank"),
        "/news/rail.html": Route(body=page_route("rail").body, hold=hold),
    }
    with serving(routes) as site:
        routes["/one.xml"] = Route(
            body=rss(listed(site, "/news/dam.html", "/news/bank.html")),
            content_type="application/rss+xml",
        )
        routes["/two.xml"] = Route(
            body=rss(listed(site, "/news/rail.html")), content_type="application/rss+xml"
        )
        env = {
            **os.environ,
            "BYLINE_DATA_DIR": str(tmp_path / "data"),
            "BYLINE_FETCH_HOST_DELAY_S": "0",
        }
        feeds = [site.link("/one.xml"), site.link("/two.xml")]
        watcher = subprocess.Popen(
            [BYLINE, "watch", "--once", *feeds],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert site.holding.wait(120), "the watcher never asked for the held page"
        finally:
            watcher.send_signal(signal.SIGKILL)
            watcher.wait(30)
        hold.set()
        # The first feed's two pages were stored before the kill; the rerun finishes the job.
        rerun = subprocess.run(
            [BYLINE, "watch", "--once", *feeds],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert rerun.returncode == 0, rerun.stderr
    assert "stored 1" in rerun.stdout  # only the page the killed watcher never stored
    store = open_store(Settings(data_dir=tmp_path / "data"))
    titles = [head.title for _, head in store.article_heads()]
    assert sorted(titles) == sorted(story[0] for story in STORIES.values())  # each once


def test_a_feed_that_is_not_xml_and_a_host_that_never_answers_are_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hold = threading.Event()
    routes = {
        "/news/dam.html": page_route("dam"),
        "/garbage.xml": Route(body=b"\x00\x01 this is no feed", content_type="text/xml"),
    }
    with serving(routes) as site, serving({"/robots.txt": Route(hold=hold)}) as silent:
        fetch_env(monkeypatch, tmp_path / "data")
        inputs = [site.link("/news/dam.html"), site.link("/garbage.xml")]
        inputs.append(silent.link("/news/anything.html"))
        code = main(["ingest", "--quiet", *inputs])
        out, err = capsys.readouterr()
    assert code == 1
    assert "new 1 ·" in out and "rejected 2" in out
    lines = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert any(
        "/garbage.xml" in line and "not a page, a feed or a sitemap" in line for line in lines
    )
    assert any("/news/anything.html" in line and "no answer within 5 s" in line for line in lines)
    assert "Traceback" not in err


def test_retry_after_is_honoured_and_the_user_agent_sent() -> None:
    routes = {
        "/robots.txt": Route(body=b"", content_type="text/plain"),
        "/busy.html": Route(body=page_route("dam").body, before=[(503, {"Retry-After": "0"})]),
        "/limited.html": Route(body=b"", before=[(429, {"Retry-After": "0"})] * 3),
    }
    settings = FetchSettings(host_delay_s=0, retries=2, user_agent="ByTest/1 (+contact)")
    with serving(routes) as site, Fetcher(settings) as fetcher:
        busy = fetcher.get(site.link("/busy.html"))
        limited = fetcher.get(site.link("/limited.html"))
        hits, agents = dict(site.hits), set(site.agents)
    assert isinstance(busy, Fetched) and busy.status == 200
    assert hits["/busy.html"] == 2  # the 503, then the page after its Retry-After
    assert isinstance(limited, FetchFailure) and limited.reason == "http_429"
    assert hits["/limited.html"] == 3  # the first try and two retries, then it gives up
    assert agents == {"ByTest/1 (+contact)"}


def test_requests_to_one_host_start_the_delay_apart() -> None:
    waits: list[float] = []
    now = [0.0]
    settings = FetchSettings(host_delay_s=2.0, per_host=1, max_in_flight=1)
    routes = {"/a.html": page_route("dam"), "/b.html": page_route("bank")}
    with (
        serving(routes) as site,
        Fetcher(settings, sleep=waits.append, clock=lambda: now[0]) as fetcher,
    ):
        outcomes = list(fetcher.get_many([site.link("/a.html"), site.link("/b.html")]))
    assert all(isinstance(outcome, Fetched) for _, outcome in outcomes)
    # robots.txt at 0 s, the first page at 2 s, the second at 4 s (the clock never moves).
    assert waits == [2.0, 4.0]


def test_retention_drops_articles_older_than_the_setting(
    tmp_path: Path, embedder: object, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = {"/news/dam.html": page_route("dam")}
    components: Components = components_at(tmp_path / "data", embedder)  # type: ignore[arg-type]
    # The API's view of the store, opened before the watcher writes: it sees what is stored as
    # it sees any ingest (the data dir's generation moves).
    api = components_at(tmp_path / "data", embedder).retriever()  # type: ignore[arg-type]
    question = Query("How many residents left Valmora?", 3)
    assert api.retrieve(question).passages == []
    with serving(routes) as site:
        routes["/feed.xml"] = Route(
            body=rss(listed(site, "/news/dam.html")), content_type="application/rss+xml"
        )
        metrics = WatchMetrics(CollectorRegistry())
        with Fetcher(FetchSettings(host_delay_s=0)) as fetcher:
            keep = Watcher(
                WatchSettings(), tmp_path / "data", fetcher, components.ingestor(), metrics, print
            )
            assert keep.poll([site.link("/feed.xml")]).stored == 1
            assert api.retrieve(question).passages[0].title == STORIES["dam"][0]
            drop = Watcher(
                WatchSettings(retention_days=7),
                tmp_path / "data",
                fetcher,
                components.ingestor(),
                metrics,
                print,
            )
            assert drop.poll([site.link("/feed.xml")]).dropped_chunks > 0
    assert components.store.article_heads() == []  # the 2024 story is over seven days old
    assert metrics.registry.get_sample_value("byline_watch_stored_total") == 1
    assert metrics.registry.get_sample_value("byline_watch_fetched_total", {"kind": "page"}) == 1
