"""Every table the service keeps per client or per conversation has a bound: many distinct
clients (rotating addresses, a flood of Slack threads) cannot grow it without end."""

from __future__ import annotations

from pathlib import Path

from rag.answering.followup import Turn
from rag.api.access import MAX_CLIENTS, WINDOW_S, Access, RateLimiter
from rag.slack.store import MAX_TURNS, SlackStore


def test_the_limiter_forgets_clients_idle_for_a_minute() -> None:
    limiter = RateLimiter(per_minute=5)
    for n in range(1000):
        assert limiter.retry_after(f"ip:10.0.{n // 256}.{n % 256}", now=float(n) / 100) == 0
    assert limiter.tracked() == 1000  # all within the last minute
    assert limiter.retry_after("ip:192.0.2.1", now=10 + WINDOW_S) == 0
    assert limiter.tracked() == 1


def test_the_limiter_holds_at_most_max_clients_and_still_limits() -> None:
    limiter = RateLimiter(per_minute=2, max_clients=100)
    for n in range(20_000):  # a client rotating addresses within one minute
        limiter.retry_after(f"ip:{n}", now=1.0)
    assert limiter.tracked() == 100
    assert limiter.retry_after("ip:steady", 2.0) == 0
    assert limiter.retry_after("ip:steady", 2.0) == 0
    assert limiter.retry_after("ip:steady", 2.0) > 0  # the budget still holds for a live key


def test_failed_key_attempts_from_many_addresses_stay_bounded() -> None:
    access = Access(["right"], per_minute=0, failures_per_minute=3)
    for n in range(30_000):
        try:
            access.check({"authorization": "Bearer wrong"}, f"198.51.{n // 256}.{n % 256}")
        except Exception as refused:  # Unauthorized, every time: one attempt per address
            assert "API key" in str(refused)
    assert access.tracked_clients() == MAX_CLIENTS  # every address tried, the newest kept


def test_slack_threads_keep_their_last_turns_and_the_table_is_bounded(tmp_path: Path) -> None:
    store = SlackStore(tmp_path, max_stored_turns=500)
    for n in range(30):
        store.add_turns("T1", "C1", "1.0", [Turn("user", f"q{n}"), Turn("assistant", f"a{n}")])
    kept = store.turns("T1", "C1", "1.0")
    assert len(kept) == MAX_TURNS and kept[-1] == Turn("assistant", "a29")
    for n in range(2000):  # many threads, two turns each
        store.add_turns("T1", "C1", f"{n}.5", [Turn("user", "q"), Turn("assistant", "a")])
    with store._connect() as db:
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] <= 500
    assert store.turns("T1", "C1", "1999.5") == [Turn("user", "q"), Turn("assistant", "a")]


def test_slack_events_are_claimed_once_and_forgotten_after_a_day(tmp_path: Path) -> None:
    store = SlackStore(tmp_path)
    assert store.claim_event("T1", "Ev1") and not store.claim_event("T1", "Ev1")
    with store._connect() as db:
        db.execute("UPDATE events SET seen = seen - 2 * 24 * 3600")
    store.claim_event("T1", "Ev2")
    with store._connect() as db:
        assert [r[0] for r in db.execute("SELECT event_id FROM events")] == ["Ev2"]
