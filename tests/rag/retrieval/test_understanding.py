"""Outlet and time words choose where and when to look; they are not what a question asks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rag.domain.outlets import OutletRecogniser
from rag.retrieval.understanding import understand

AS_OF = datetime(2024, 10, 20, 12, tzinfo=UTC)
OUTLETS = OutletRecogniser(["ICARO Media Group", "NewsTrack", "CNN", "USA Today"])


@pytest.mark.parametrize(
    ("question", "asks", "outlets"),
    [
        (
            "What did ICARO report about Rutte?",
            "What did report about Rutte?",
            ("ICARO Media Group",),
        ),
        ("According to CNN, who won the vote?", "who won the vote?", ("CNN",)),
        (
            "What did USA Today’s story say about the storm?",
            "What did story say about the storm?",
            ("USA Today",),
        ),
        ("What did Rutte say on 17 October 2024?", "What did Rutte say?", ()),
        ("What did Rutte say on October 17, 2024?", "What did Rutte say?", ()),
        ("What did NATO pledge in October 2024?", "What did NATO pledge?", ()),
        ("How much aid did NATO promise this week?", "How much aid did NATO promise?", ()),
        ("What happened on 2024-10-17 in Brussels?", "What happened in Brussels?", ()),
    ],
)
def test_outlet_and_time_phrases_are_taken_out(
    question: str, asks: str, outlets: tuple[str, ...]
) -> None:
    understood = understand(question, AS_OF, OUTLETS.mentions)
    assert understood.text == asks
    assert understood.outlets == outlets


def test_a_window_is_still_found_and_a_question_of_nothing_else_is_kept_whole() -> None:
    assert understand("What happened this week?", AS_OF, OUTLETS.mentions).window is not None
    # Lower-case "the age" is no outlet; "CNN today" alone leaves nothing to ask: kept whole.
    assert understand("CNN today?", AS_OF, OUTLETS.mentions).text == "CNN today?"
    plain = "Who leads NATO?"
    assert understand(plain, AS_OF, OUTLETS.mentions).text == plain
