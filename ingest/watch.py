"""`byline watch`: feeds and sitemaps polled, and the store kept current with what they list.

Each poll asks for every feed with a conditional GET (an unchanged feed costs one small request),
fetches the links it has not stored and re-fetches a stored one only when its entry's update
stamp changed (an unchanged body then costs nothing: content hashes). Pages are stored a batch
at a time, each batch under the store's write lock, so the API's writes and other writers take
their turns in between. What was seen is recorded in the data dir only after it is stored, and a
feed's validators only after all its links are: a watcher killed mid-poll loses nothing, and the
next poll finds the pages it stored unchanged (nothing is stored twice).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from ingest.fetch import Fetched, Fetcher, FetchFailure, Validators
from ingest.pipeline import Ingestor
from ingest.web import (
    MAX_SITEMAP_DEPTH,
    Listed,
    NotAListing,
    WebSource,
    failure,
    is_page,
    listing,
)
from rag.domain.models import Article
from rag.errors import StoreBusy
from rag.settings import WatchSettings

log = logging.getLogger("byline.watch")
STATE_FILE = "watch-state.json"
LOCK_FILE = "watch.lock"
BATCH = 32
# A batch the store is too busy to take is tried again this many times, this far apart.
BUSY_TRIES = 5
BUSY_WAIT_S = 2.0


class WatchMetrics:
    """The watcher's Prometheus counters (served with `byline watch --metrics-port`)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.fetched = Counter(
            "byline_watch_fetched", "Feeds and pages fetched.", ["kind"], registry=self.registry
        )
        self.stored = Counter(
            "byline_watch_stored", "Articles stored new or updated.", registry=self.registry
        )
        self.failed = Counter(
            "byline_watch_failed",
            "Fetches and pages that failed.",
            ["reason"],
            registry=self.registry,
        )


@dataclass
class PollSummary:
    feeds: int = 0
    unchanged_feeds: int = 0
    fetched: int = 0
    stored: int = 0
    unchanged: int = 0
    failed: int = 0
    dropped_chunks: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"feeds {self.feeds} (unchanged {self.unchanged_feeds}) · pages fetched {self.fetched}"
            f" · stored {self.stored} · unchanged {self.unchanged} · failed {self.failed}"
            + (f" · chunks dropped {self.dropped_chunks}" if self.dropped_chunks else "")
        )


class WatchState:
    """What the watcher has seen, in ``<data dir>/watch-state.json``: each feed's validators,
    and each stored link's update stamp (the ``limit`` most recently seen are kept)."""

    def __init__(self, path: Path, limit: int) -> None:
        self._path = path
        self._limit = limit
        data: dict[str, Any] = {}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("%s unreadable (%s): every link is fetched again", path, exc)
        self.feeds: dict[str, dict[str, str]] = dict(data.get("feeds", {}))
        self.seen: dict[str, dict[str, Any]] = dict(data.get("seen", {}))

    def validators(self, feed: str) -> Validators:
        known = self.feeds.get(feed, {})
        return Validators(known.get("etag", ""), known.get("last_modified", ""))

    def wants(self, item: Listed) -> bool:
        """A link not stored yet, or one whose entry says it changed since."""
        known = self.seen.get(item.url)
        return known is None or (bool(item.updated) and known.get("updated") != item.updated)

    def saw(self, items: Sequence[Listed]) -> None:
        now = time.time()
        for item in items:
            self.seen[item.url] = {"updated": item.updated, "at": now}
        if len(self.seen) > self._limit:
            newest = sorted(self.seen.items(), key=lambda kv: kv[1].get("at", 0.0))
            self.seen = dict(newest[-self._limit :])
        self.save()

    def feed_read(self, feed: str, fetched: Fetched) -> None:
        self.feeds[feed] = {"etag": fetched.etag, "last_modified": fetched.last_modified}
        self.save()

    def save(self) -> None:
        """Atomically: a watcher killed while writing leaves the last whole state."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_suffix(".tmp")
        partial.write_text(json.dumps({"feeds": self.feeds, "seen": self.seen}), encoding="utf-8")
        os.replace(partial, self._path)


@contextmanager
def one_poll_at_a_time(data_dir: Path) -> Iterator[None]:
    """Two watchers on one data dir take turns poll by poll (their state is one file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_FILE).open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Watcher:
    def __init__(
        self,
        settings: WatchSettings,
        data_dir: Path,
        fetcher: Fetcher,
        ingestor: Ingestor,
        metrics: WatchMetrics,
        on_error: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._data_dir = data_dir
        self._fetcher = fetcher
        self._web = WebSource(fetcher)
        self._ingestor = ingestor
        self._metrics = metrics
        self._on_error = on_error
        self._sleep = sleep

    def poll(self, feeds: Sequence[str]) -> PollSummary:
        summary = PollSummary()
        with one_poll_at_a_time(self._data_dir):
            state = WatchState(self._data_dir / STATE_FILE, self._settings.seen_limit)
            for feed in feeds:
                summary.feeds += 1
                self._poll_feed(feed, state, summary)
            if self._settings.retention_days:
                cutoff = int(time.time()) - self._settings.retention_days * 86_400
                try:
                    summary.dropped_chunks = self._ingestor.drop_published_before(cutoff)
                except StoreBusy as exc:  # the next poll drops them
                    self._fail(summary, "store_busy", f"old articles not dropped: {exc.message}")
        return summary

    def _poll_feed(
        self, feed: str, state: WatchState, summary: PollSummary, depth: int = 0
    ) -> None:
        outcome = self._fetcher.get(feed, state.validators(feed))
        self._metrics.fetched.labels("feed").inc()
        if isinstance(outcome, FetchFailure):
            self._fail(summary, outcome.reason, outcome.line())
            return
        if outcome.unchanged:
            summary.unchanged_feeds += 1
            return
        if is_page(outcome):
            self._fail(summary, "not_a_feed", f"{feed}: a page, not a feed or sitemap")
            return
        try:
            links, sitemaps = listing(outcome)
        except NotAListing as exc:
            self._fail(summary, "not_a_feed", f"{feed}: {exc}")
            return
        if depth < MAX_SITEMAP_DEPTH:  # a sitemap index: its sitemaps are polled as feeds
            for child in sitemaps:
                self._poll_feed(child, state, summary, depth + 1)
        wanted = [item for item in links if state.wants(item)]
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            if not self._store_batch(batch, state, summary):
                return  # the feed is read again next poll: its validators are not recorded
        state.feed_read(feed, outcome)

    def _store_batch(self, batch: list[Listed], state: WatchState, summary: PollSummary) -> bool:
        """Fetch the batch's pages (no lock held), then store them under the write lock."""
        articles: list[Article] = []
        done: list[Listed] = []
        for item, parsed in self._web.listed_articles(batch):
            self._metrics.fetched.labels("page").inc()
            summary.fetched += 1
            if isinstance(parsed, FetchFailure):
                self._fail(summary, parsed.reason, failure(parsed).message)
            else:
                articles.append(parsed)
                done.append(item)
        if not articles:
            return True  # every page failed: nothing to store, and none recorded as seen
        for attempt in range(BUSY_TRIES):
            try:
                result = self._ingestor.ingest(articles)
                break
            except StoreBusy as exc:
                if attempt == BUSY_TRIES - 1:
                    self._fail(summary, "store_busy", f"batch not stored: {exc.message}")
                    return False
                self._sleep(BUSY_WAIT_S)
        for message in result.errors:
            self._fail(summary, "rejected", message)
        stored = result.new + result.updated
        summary.stored += stored
        summary.unchanged += result.unchanged
        self._metrics.stored.inc(stored)
        # Failed links are not recorded: the next poll tries them again.
        state.saw(done)
        return True

    def _fail(self, summary: PollSummary, reason: str, message: str) -> None:
        summary.failed += 1
        summary.errors.append(message)
        self._metrics.failed.labels(reason).inc()
        self._on_error(message)
