"""A question that asks how the outlets' reports differ, however it is phrased, gets each
outlet's own cited sentence side by side, and a note of what they share or who is silent."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

from rag.answering.asked import read_question, terms_of
from rag.answering.candidates import Candidate
from rag.answering.comparison import side_by_side
from rag.domain.models import Passage

PHRASINGS = [
    "How do the outlets' reports differ on the victory plan?",
    "What did each outlet say about Zelensky's victory plan?",
    "Compare the coverage of NATO's response to the victory plan.",
    "Do the sources agree about Ukraine joining NATO?",
    "What did NewsTrack and ICARO Media Group report about the victory plan?",
]


@pytest.mark.parametrize("question", PHRASINGS)
def test_each_outlet_answers_on_its_own_line_cited_to_itself(
    api: httpx.Client, question: str
) -> None:
    body = api.post("/ask", json={"question": question}).json()
    assert not body["declined"], body
    assert body["short_answer"] is None
    sides, _, note = body["answer"].partition("\n\n")
    lines = sides.split("\n")
    cited = {c["n"]: c["outlet"] for c in body["citations"]}
    outlets = []
    for line in lines:
        outlet, _, said = line.partition(": ")
        [marker] = re.findall(r"\[(\d+)\]", said)
        assert cited[int(marker)] == outlet  # each side quotes its own outlet
        outlets.append(outlet)
    assert sorted(outlets) == ["ICARO Media Group", "NewsTrack"]
    assert note.startswith(("Both name ", "They name no particular in common."))


def _said(outlet: str, sentence: str) -> Candidate:
    passage = Passage(f"{outlet}-1", f"{outlet}-a", sentence, "Title", outlet, "", None, 0)
    terms = frozenset(terms_of(sentence))
    return Candidate(sentence, passage, tuple(terms), terms, 0, 0.5, True, 0, 0, 1.0, "")


def test_what_the_sides_share_and_who_is_silent_is_said() -> None:
    eligible = [
        _said("CNN", "NATO pledged €40 billion to Ukraine on Thursday."),
        _said("CNN", "The pledge was smaller than last year."),
        _said("BBC", "Rutte said NATO would give Ukraine €40 billion."),
    ]
    scores = np.array([2.0, 1.0, 0.5])
    compared = side_by_side(eligible, scores, scores)
    assert [c.passage.outlet for c in compared.chosen] == ["CNN", "BBC"]
    assert compared.note == "Both name NATO, €40 billion and Ukraine."
    # The reader read CNN's sentences alone: BBC's still comes from the cheap ranker's order.
    unread = np.array([2.0, 1.0, -np.inf])
    assert [c.passage.outlet for c in side_by_side(eligible, unread, scores).chosen] == [
        "CNN",
        "BBC",
    ]
    named = side_by_side(eligible, scores, scores, ("BBC", "Reuters"))
    assert [c.passage.outlet for c in named.chosen] == ["BBC"]
    assert named.note == "Reuters says nothing on this in the articles found."


@pytest.mark.parametrize(
    "question",
    [
        "How does the new law differ from the old one?",
        "How much military aid did NATO say it would deliver to Ukraine?",
        "Which outlets reported the news first?",
    ],
)
def test_other_questions_are_not_comparisons(question: str) -> None:
    assert not read_question(question).compares
