"""The spans a sentence offers, the short answer's place before the quoted sentence, the shipped
calibration's and evidence model's load errors, and the short answer over the sample articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answering.calibration import SIGNALS, load_calibration
from rag.answering.evidence import CANDIDATE_FEATURES, load_evidence
from rag.answering.short_answer import SpanKind, lead_with, spans_of, without_short_answer
from rag.errors import BylineError
from rag.models.shipped import CALIBRATION, EVIDENCE
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


def test_the_shipped_models_load_and_broken_ones_name_the_remedy(tmp_path: Path) -> None:
    calibration, evidence = load_calibration(), load_evidence()
    assert calibration.confidence.features == SIGNALS
    assert evidence.scorer.features == CANDIDATE_FEATURES
    assert 0 <= calibration.threshold <= 1 and evidence.lift >= 0
    for load in (load_calibration, load_evidence):
        with pytest.raises(BylineError, match="byline train calibration"):
            load(tmp_path / "missing.json")
    for path, part, load in (
        (CALIBRATION, "confidence", load_calibration),
        (EVIDENCE, "candidates", load_evidence),
    ):
        data = json.loads(path.read_text(encoding="utf-8"))
        data[part]["features"] = ["something else"]
        changed = tmp_path / f"changed-{part}.json"
        changed.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(BylineError, match="byline train calibration"):
            load(changed)


def test_a_short_answer_leads_its_own_sentence_and_never_answers_yes_or_no(
    seeded: Components,
) -> None:
    """Any short answer shown is held by the first quoted sentence, which cites it, and comes
    with who else reports it; a yes-or-no question gets none."""
    with serving(seeded.settings.updated(short_answer="on", min_answer_confidence=0.0)) as client:
        answers = [
            client.post("/ask", json={"question": q}).json()
            for q in (
                AID,
                "Who is the Secretary General of NATO?",
                "Where did Zelensky present his victory plan?",
            )
        ]
        polar = client.post("/ask", json={"question": "Did NATO endorse the victory plan?"}).json()
    for answer in answers:
        if answer["short_answer"] is None:
            assert answer["support"] is None
            continue
        lead, _, sentence = answer["answer"].partition(". — ")
        assert lead == answer["short_answer"] and lead in sentence.split(" [")[0]
        assert answer["citations"][0]["quote"] in sentence
        assert answer["support"]["outlets"] >= 1
    assert polar["short_answer"] is None and polar["support"] is None
