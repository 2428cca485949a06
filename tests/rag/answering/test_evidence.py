"""Candidates as evidence: the names the read sentences hold, the question's own left out,
shorter forms folded into longer ones, and how much of the news supports each."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from rag.answering.asked import read_question
from rag.answering.candidates import Candidate
from rag.answering.evidence import CANDIDATE_FEATURES, gather
from rag.domain.models import Passage
from rag.domain.names import Name, by_sentence, decode, encode

NOW = datetime(2024, 10, 20, tzinfo=UTC)


def _sentence(text: str, names: list[tuple[str, str]], article: str, outlet: str) -> Candidate:
    passage = Passage(f"{article}-c", article, text, f"About {article}", outlet, "", None, -1)
    return Candidate(
        sentence=text,
        passage=passage,
        sequence=(),
        terms=frozenset(text.casefold().split()),
        article_rank=int(article[-1]),
        article_similarity=0.5,
        retrieved=True,
        distance=0,
        position=0,
        age_days=1.0,
        before="",
        names=tuple(Name(n, label) for n, label in names),
    )


def test_candidates_fold_forms_leave_out_the_questions_names_and_count_support() -> None:
    asked = read_question("Which airline did NATO fine this week?")
    found = [
        _sentence(
            "NATO fined Southwest Airlines.",
            [("NATO", "ORG"), ("Southwest Airlines", "ORG")],
            "a0",
            "CNN",
        ),
        _sentence("Southwest said it would appeal.", [("Southwest", "ORG")], "a1", "USA Today"),
        _sentence("Delta was not fined.", [("Delta", "ORG")], "a2", "CNN"),
        _sentence(
            "The fine was 2 million dollars in 2024.",
            [("2 million dollars", "MONEY"), ("2024", "DATE")],
            "a1",
            "USA Today",
        ),
    ]
    types = {"organisation": 0.8, "none": 0.1}
    weighed = gather(asked, found, [0, 1, 2], np.array([0.6, 0.3, 0.1]), types)
    texts = {a.text: a for a in weighed.answerable}
    assert "NATO" not in texts  # the question's own name is not its answer
    southwest = texts["Southwest Airlines"]  # "Southwest" folded into it
    assert southwest.holders == (0, 1) and (southwest.articles, southwest.outlets) == (2, 2)
    assert texts["Delta"].articles == 1
    assert "2024" in texts and "2 million dollars" in texts  # numbers and dates are candidates
    row = dict(
        zip(
            CANDIDATE_FEATURES,
            weighed.features[list(texts).index("Southwest Airlines")],
            strict=True,
        )
    )
    assert row["type"] == 0.8 and row["top_sentence"] == 1.0 and row["sentence_score"] == 0.6
    assert weighed.features.shape == (len(texts), len(CANDIDATE_FEATURES))


def test_a_chunks_names_are_kept_compact_and_each_sentence_holds_its_own() -> None:
    text = "Mark Rutte met Zelensky. Rutte said NATO would help."
    spans = ((0, 10, "PERSON"), (15, 23, "PERSON"), (25, 30, "PERSON"), (36, 40, "ORG"))
    assert decode(encode(spans)) == spans
    assert decode(None) is None and decode("not json") is None
    first, second = by_sentence(
        ["Mark Rutte met Zelensky.", "Rutte said NATO would help."], text, spans
    )
    assert {n.text for n in first} == {"Mark Rutte", "Zelensky"}
    assert {n.text for n in second} == {"Rutte", "NATO"}
    # A sentence rewritten when read (not found in the text) keeps the names it holds as words.
    (rewritten,) = by_sentence(["Rutte said NATO, and more."], text, spans)
    assert {n.text for n in rewritten} == {"Rutte", "NATO"}
