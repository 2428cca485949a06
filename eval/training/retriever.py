"""Training the question encoder against the frozen passage vectors of a store.

Each step takes a batch of examples and scores every question against every passage the batch
names (its own positives and hard negatives and the other questions'), as cosines over a
temperature; the loss is the softmax's share that misses the question's own positives
(contrastive, several positives allowed). Passages are never re-encoded: their vectors are the
store's, so only a short question passes through the model per example, and an epoch over
2,000 questions takes about a minute on two cores.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from eval.training.retriever_examples import Example
from rag.models.query_torch import QueryTower, encode


@dataclass(frozen=True)
class RetrieverTraining:
    seed: int = 0
    epochs: int = 4
    trained_layers: int = 2
    batch_size: int = 32
    positives: int = 1  # sampled per example per step
    negatives: int = 7  # hard negatives sampled per example per step
    learning_rate: float = 3e-5
    temperature: float = 0.05  # the base model's own training scale (20)
    threads: int = 2


class TowerQueries:
    """The tower in training as the retriever's embedder (for measuring it between epochs)."""

    def __init__(self, model: QueryTower, tokenizer: Any) -> None:
        self._model, self._tokenizer = model, tokenizer

    def embed(self, texts: list[str], batch_size: int = 32) -> list[list[float]]:
        was_training = self._model.training
        self._model.eval()
        vectors: list[list[float]] = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = encode(self._tokenizer, texts[start : start + batch_size])
                vectors += self._model(**batch).tolist()
        self._model.train(was_training)
        return vectors


def batch_loss(
    model: QueryTower,
    tokenizer: Any,
    batch: Sequence[Example],
    vectors: dict[str, npt.NDArray[np.float32]],
    config: RetrieverTraining,
    rng: random.Random,
) -> torch.Tensor:
    chosen: list[str] = []
    owner: list[int] = []  # which example's positive each column is (-1: a negative)
    for row, example in enumerate(batch):
        for chunk_id in rng.sample(
            example.positives, min(config.positives, len(example.positives))
        ):
            chosen.append(chunk_id)
            owner.append(row)
        for chunk_id in rng.sample(
            example.negatives, min(config.negatives, len(example.negatives))
        ):
            chosen.append(chunk_id)
            owner.append(-1)
    passages = torch.from_numpy(np.stack([vectors[c] for c in chosen]))
    questions = model(**encode(tokenizer, [e.query for e in batch]))
    logits = questions @ passages.T / config.temperature
    owners = torch.tensor(owner)
    mine = owners.unsqueeze(0) == torch.arange(len(batch)).unsqueeze(1)
    # A passage that is another question's positive may answer this one too (the same event
    # asked twice): only this question's own positives and the hard negatives compete.
    others = (owners.unsqueeze(0) >= 0) & ~mine
    logits = logits.masked_fill(others, float("-inf"))
    positive = logits.masked_fill(~mine, float("-inf"))
    return (torch.logsumexp(logits, 1) - torch.logsumexp(positive, 1)).mean()


def train_tower(
    model: QueryTower,
    tokenizer: Any,
    examples: Sequence[Example],
    vectors: dict[str, npt.NDArray[np.float32]],
    config: RetrieverTraining,
    measure: Callable[[], tuple[float, dict[str, Any]]],
    checkpoints: Path,
    log: Callable[[str], None],
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    """Trains for ``config.epochs``, measuring after each (``measure()``: the held-out year's
    figure, higher is better, and a summary; epoch 0 is the base model); returns the best
    epoch's trained layers and every epoch's figures. Each epoch is checkpointed: a rerun
    resumes."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    model.freeze_lower()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate)
    rng = random.Random(config.seed)
    history: list[dict[str, Any]] = []
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    start = 1
    checkpoints.mkdir(parents=True, exist_ok=True)
    resumed = _latest_checkpoint(checkpoints, config)
    if resumed is not None:
        saved = torch.load(resumed, weights_only=False)
        model.load_trained(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        rng.setstate(saved["rng"])
        history, start = saved["history"], saved["epoch"] + 1
        best = (saved["best_figure"], saved["best"])
        log(f"resumed after epoch {saved['epoch']} from {resumed}")
    else:
        figure, summary = measure()
        history.append({"epoch": 0, "loss": None, "held_out": figure, "summary": summary})
        best = (figure, model.trained_state(torch.float32))
        log(f"epoch 0 (base): held-out {figure:.4f}")
    order = list(examples)
    for epoch in range(start, config.epochs + 1):
        model.train()
        rng.shuffle(order)
        losses = []
        for first in range(0, len(order), config.batch_size):
            batch = order[first : first + config.batch_size]
            loss = batch_loss(model, tokenizer, batch, vectors, config, rng)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            losses.append(float(loss.detach()))
        figure, summary = measure()
        mean_loss = round(float(np.mean(losses)), 4)
        history.append({"epoch": epoch, "loss": mean_loss, "held_out": figure, "summary": summary})
        log(f"epoch {epoch}: loss {mean_loss:.4f}, held-out {figure:.4f}")
        if figure > best[0]:
            best = (figure, model.trained_state(torch.float32))
        torch.save(
            {
                "model": model.trained_state(torch.float32),
                "optimizer": optimizer.state_dict(),
                "rng": rng.getstate(),
                "history": history,
                "epoch": epoch,
                "best_figure": best[0],
                "best": best[1],
                "config": asdict(config),
            },
            checkpoints / f"epoch-{epoch}.pt",
        )
    return best[1], history


def _latest_checkpoint(folder: Path, config: RetrieverTraining) -> Path | None:
    found = []
    for path in folder.glob("epoch-*.pt"):
        saved = torch.load(path, weights_only=False)
        if saved.get("config") == asdict(config) and saved["epoch"] <= config.epochs:
            found.append((saved["epoch"], path))
    return max(found)[1] if found else None
