"""``byline train reader``: fine-tune the packaged MiniLM into the reader, on training years.

Data (from :mod:`pool` and :mod:`shortlist`): for each training question whose articles name
the gold choice, groups of one right sentence and ``group - 1`` wrong ones. Right sentences name
the gold choice and no other (distant labels: a passing mention counts, a paraphrase does not),
at most ``positives`` a question, those the service would shortlist first (they carry the
question's focus), the one most like the quiz's own evidence snippet ahead of them. Wrong ones
come from the same shortlist the service shows the reader (never a sentence holding the gold),
so the reader learns what separates them, not "like the question".

Loss: softmax cross-entropy over each group (the right sentence first). Only the top
``trained_layers`` layers and the head train: the frozen layers' output is computed once per
pair and cached, so an epoch costs about as much as one forward pass. Deterministic for a seed
with one thread; a checkpoint after every epoch, from which a second run resumes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eval.metrics import answer_correct
from eval.training.shortlist import Shortlisted
from rag.answering.reader import pair_text
from rag.domain.folding import holds_phrase
from rag.models.reader_torch import CrossReader


@dataclass(frozen=True)
class ReaderTraining:
    seed: int = 0
    epochs: int = 4
    group: int = 8
    positives: int = 2
    shortlist: int = 16
    trained_layers: int = 2
    max_length: int = 128
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    groups_per_step: int = 4
    threads: int = 1
    any_positive: bool = False  # a right sentence the rules held back counts when none passed


@dataclass(frozen=True)
class Group:
    question: str
    texts: tuple[str, ...]  # the right sentence first


def _evidence_overlap(sentence: str, evidence: str) -> float:
    a, b = set(sentence.casefold().split()), set(evidence.casefold().split())
    return len(a & b) / max(1, len(a | b))


def groups_of(
    lists: Sequence[Shortlisted], settings: ReaderTraining, rng: random.Random
) -> list[Group]:
    groups = []
    for s in lists:
        if s.pool.shifted:
            continue
        evidence = s.pool.question.evidence
        question_ = s.pool.question.question
        # Right sentences the rules let answer, in the shortlist's order (the cheap ranker's);
        # where there is none, right ones the rules held back (the reader learns from them too).
        right = [s.eligible[i] for i in range(len(s.eligible)) if s.right[i]]
        if not right and settings.any_positive:
            right = [c for c in s.pool.found if answer_correct(c.sentence, False, question_)]
        if not right:
            continue
        # The evidence's own sentence first.
        right.sort(key=lambda c: -(_evidence_overlap(c.sentence, evidence) > 0.5))
        # Wrong ones: the shortlist's first (what the reader must tell apart in service), then
        # the other sentences that may answer, then the rest of the articles.
        wrong = [s.eligible[i] for i in range(len(s.eligible)) if not s.mentions[i]]
        near, far = wrong[: settings.shortlist], wrong[settings.shortlist :]
        gold = s.pool.question.question.answers[0]
        shown = {id(c) for c in s.eligible}
        rest = [
            c for c in s.pool.found if id(c) not in shown and not holds_phrase(c.sentence, gold)
        ]
        question = s.pool.question.question.question
        for positive in right[: settings.positives]:
            picked = rng.sample(near, min(len(near), settings.group - 1))
            for extra in (far, rest):
                missing = settings.group - 1 - len(picked)
                if missing > 0 and extra:
                    picked += rng.sample(extra, min(len(extra), missing))
            if picked:
                texts = [pair_text(positive), *(pair_text(c) for c in picked)]
                groups.append(Group(question, tuple(texts)))
    return groups


def _encode(tokenizer: Any, pairs: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    encoded = tokenizer.encode_batch(pairs)
    width = max(len(e.ids) for e in encoded)

    def padded(rows: list[list[int]]) -> torch.Tensor:
        return torch.tensor([r + [0] * (width - len(r)) for r in rows], dtype=torch.long)

    return {
        "input_ids": padded([e.ids for e in encoded]),
        "attention_mask": padded([e.attention_mask for e in encoded]),
        "token_type_ids": padded([e.type_ids for e in encoded]),
    }


@dataclass
class Cached:
    """A group's frozen-layer output, in fp16 (its pieces trimmed to the group's longest)."""

    hidden: torch.Tensor
    mask: torch.Tensor


def cache_lower(model: CrossReader, tokenizer: Any, groups: list[Group]) -> list[Cached]:
    cached = []
    with torch.inference_mode():
        for group in groups:
            batch = _encode(tokenizer, [(group.question, t) for t in group.texts])
            hidden = model.lower(**batch)
            cached.append(Cached(hidden.to(torch.float16), batch["attention_mask"]))
    return cached


def train_reader(
    model: CrossReader,
    tokenizer: Any,
    groups: list[Group],
    settings: ReaderTraining,
    checkpoint: Path,
    log: Any = print,
) -> dict[str, Any]:
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    model.freeze_lower()
    started = time.monotonic()
    top = [p for layer in model.top for p in layer.parameters()]
    optimizer = torch.optim.AdamW(
        [
            {"params": top, "lr": settings.learning_rate},
            {"params": list(model.head.parameters()), "lr": settings.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    steps_per_epoch = -(-len(groups) // settings.groups_per_step)
    total = steps_per_epoch * settings.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.06 * total)) * max(0.0, 1 - step / total)
    )
    first_epoch, history = 0, []
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        model.load_trained(state["model"])
        torch.set_rng_state(state["rng"])  # dropout draws on where it left off
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        first_epoch, history = state["epoch"], state["history"]
        log(f"resumed after epoch {first_epoch} from {checkpoint}")
    offset = int(history[-1].get("seconds", 0)) if history else 0  # what earlier runs spent
    cached: list[Cached] = []
    if first_epoch < settings.epochs:
        cached = cache_lower(model, tokenizer, groups)
        seconds = time.monotonic() - started
        log(f"cached the frozen layers of {len(groups)} groups in {seconds:.0f} s")
    model.train()
    for epoch in range(first_epoch, settings.epochs):
        order = list(range(len(groups)))
        random.Random(settings.seed * 1000 + epoch).shuffle(order)
        losses = []
        for start in range(0, len(order), settings.groups_per_step):
            chosen = [cached[i] for i in order[start : start + settings.groups_per_step]]
            loss = torch.stack(
                [
                    torch.nn.functional.cross_entropy(
                        model.upper(c.hidden.float(), c.mask).unsqueeze(0),
                        torch.zeros(1, dtype=torch.long),
                    )
                    for c in chosen
                ]
            ).mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(float(loss.detach()))
        seconds = offset + round(time.monotonic() - started)
        mean = round(float(np.mean(losses)), 4)
        history.append({"epoch": epoch + 1, "loss": mean, "seconds": seconds})
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "model": model.trained_state(dtype=torch.float32),
                "rng": torch.get_rng_state(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "epoch": epoch + 1,
                "history": history,
            },
            checkpoint.with_suffix(".part"),
        )
        checkpoint.with_suffix(".part").replace(checkpoint)
        log(f"epoch {epoch + 1}: loss {mean} ({seconds} s since training began)")
    model.eval()
    seconds = history[-1]["seconds"] if history else 0  # across resumed runs too
    return {"history": history, "seconds": seconds, **asdict(settings)}


def reader_scores(
    model: CrossReader, tokenizer: Any, question: str, texts: Sequence[str]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    if not texts:
        return np.zeros(0)
    with torch.inference_mode():
        batch = _encode(tokenizer, [(question, t) for t in texts])
        scores: np.ndarray[Any, np.dtype[np.float64]] = model(**batch).double().numpy()
        return scores
