"""Where a question was looked for, in the words a decline shows."""

from __future__ import annotations

from datetime import UTC, datetime

from rag.domain.models import Searched

UNTIL = datetime(2024, 10, 20, 23, 59, tzinfo=UTC)


def test_the_time_and_the_outlets_read_as_a_phrase() -> None:
    assert Searched(None, UNTIL).describe() == "news up to 2024-10-20, from every outlet"
    since = datetime(2024, 10, 14, tzinfo=UTC)
    assert (
        Searched(since, UNTIL, ("CNN",)).describe()
        == "news from 2024-10-14 to 2024-10-20, from CNN"
    )
    assert Searched(None, UNTIL, ("CNN", "BBC", "NPR")).describe().endswith("CNN, BBC and NPR")
