"""The short answer's spans, its place before the quoted sentence, and the shipped calibration's
load errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answering.calibration import load_calibration
from rag.answering.short_answer import (
    SPAN_FEATURES,
    SpanKind,
    lead_with,
    spans_of,
    without_short_answer,
)
from rag.errors import BylineError
from rag.models.shipped import CALIBRATION
from rag.wiring import Components
from tests.conftest import serving

AID = "How much military aid did NATO say it would deliver to Ukraine?"


def _kinds(sentence: str) -> dict[str, str]:
    return {s.text: s.kind for s in spans_of(sentence)}


def test_a_sentence_offers_its_names_amounts_dates_and_titles() -> None:
    found = _kinds(
        "Rutte said NATO would meet its €40 billion goal for Ukraine by Oct. 17, 2024, as the"
        " Bank of England cut rates by 25% after “Squid Game” season two."
    )
    assert found["€40 billion"] == SpanKind.NUMBER
    assert found["Oct. 17, 2024"] == SpanKind.DATE
    assert found["Bank of England"] == SpanKind.NAME
    assert found["Ukraine"] == SpanKind.NAME  # not "Ukraine by Oct"
    assert found["25%"] == SpanKind.NUMBER
    assert found["Squid Game"] == SpanKind.QUOTED
    assert found["goal"] == SpanKind.PHRASE
    # The parts of a date or an amount are not spans of their own.
    assert "17" not in found and "2024" not in found and "billion" not in found


def test_the_short_answer_leads_and_a_follow_up_reads_past_it() -> None:
    text = "Rutte confirmed NATO would meet its €40 billion goal. [1]"
    led = lead_with("€40 billion", text)
    assert led == "€40 billion. — Rutte confirmed NATO would meet its €40 billion goal. [1]"
    assert without_short_answer(led) == text
    assert without_short_answer(text) == text


def test_the_shipped_calibration_loads_and_a_broken_one_names_the_remedy(tmp_path: Path) -> None:
    shipped = load_calibration()
    assert shipped.span.features == SPAN_FEATURES
    assert 0 <= shipped.threshold <= 1 and 0 <= shipped.span_threshold <= 1
    with pytest.raises(BylineError, match="byline train calibration"):
        load_calibration(tmp_path / "missing.json")
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    data["span"]["features"] = ["something else"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BylineError, match="byline train calibration"):
        load_calibration(changed)


def test_switched_on_the_short_answer_leads_and_never_answers_yes_or_no(seeded: Components) -> None:
    with serving(seeded.settings.updated(short_answer="on")) as client:
        aid = client.post("/ask", json={"question": AID}).json()
        polar = client.post("/ask", json={"question": "Did NATO endorse the victory plan?"}).json()
    short = aid["short_answer"]
    assert short, aid  # a number asked for, and the sentence's amount is sure enough
    lead, _, sentence = aid["answer"].partition(". — ")
    assert lead == short and short in sentence and sentence.endswith("[1]")
    assert aid["citations"][0]["quote"] == sentence.removesuffix(" [1]")
    assert polar["short_answer"] is None
    assert not polar["answer"].startswith(tuple(f"{w}. — " for w in ("Ukraine", "NATO")))
