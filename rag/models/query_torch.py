"""The question encoder as a torch module: the packaged MiniLM with its top layers trained to
place a news question near the passages that answer it.

Only the question side is trained. Passages keep the vectors ingest gave them with the base
model, so a store needs no re-embedding and the service embeds one question per request as
before, at the same cost. Used by ``byline train retriever`` and the one-time ONNX export; the
service runs the exported copy and never imports torch for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from rag.models.files import ModelFiles, check_files, write_meta


def question_tokenizer(base_folder: Path) -> Any:
    """The base model's tokenizer, cutting where the service's encoder cuts (its
    ``max_seq_length``), padding a batch to its longest."""
    import json

    from tokenizers import Tokenizer

    config = json.loads((base_folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_file(str(base_folder / "tokenizer.json"))
    tokenizer.enable_truncation(int(config["max_seq_length"]))
    tokenizer.enable_padding()
    return tokenizer


def encode(tokenizer: Any, texts: Sequence[str]) -> dict[str, torch.Tensor]:
    encoded = tokenizer.encode_batch(list(texts))
    return {
        "input_ids": torch.tensor([e.ids for e in encoded]),
        "attention_mask": torch.tensor([e.attention_mask for e in encoded]),
        "token_type_ids": torch.tensor([e.type_ids for e in encoded]),
    }


def mean_pooled(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of the token vectors, unit length: the base model's own pooling."""
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


class QueryTower(torch.nn.Module):
    """Embeds questions into the base model's passage space."""

    def __init__(self, base_folder: Path, trained_layers: int) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import BertModel

        self.bert: Any = BertModel.from_pretrained(str(base_folder), local_files_only=True)
        self.trained_layers = trained_layers

    @property
    def top(self) -> list[torch.nn.Module]:
        layers = list(self.bert.encoder.layer)
        return layers[len(layers) - self.trained_layers :]

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return mean_pooled(out.last_hidden_state, attention_mask)

    def freeze_lower(self) -> None:
        """Only the top layers learn: the word-piece table and the lower layers stay the base's."""
        for parameter in self.parameters():
            parameter.requires_grad = False
        for layer in self.top:
            for parameter in layer.parameters():
                parameter.requires_grad = True

    def trained_state(self, dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
        """The top layers (fp16 on disk; fp32 in a checkpoint, so a resumed run goes on exactly)."""
        first = len(self.bert.encoder.layer) - self.trained_layers
        state = {}
        for offset, layer in enumerate(self.top):
            for name, value in layer.state_dict().items():
                state[f"layer.{first + offset}.{name}"] = value.detach().to(dtype).contiguous()
        return state

    def load_trained(self, state: dict[str, torch.Tensor]) -> None:
        first = len(self.bert.encoder.layer) - self.trained_layers
        for offset, layer in enumerate(self.top):
            prefix = f"layer.{first + offset}."
            mine = {k[len(prefix) :]: v.float() for k, v in state.items() if k.startswith(prefix)}
            layer.load_state_dict(mine)


def save_tower(model: QueryTower, files: ModelFiles, meta: dict[str, Any]) -> None:
    files.folder.mkdir(parents=True, exist_ok=True)
    save_file(model.trained_state(), str(files.weights_path))
    write_meta(files, meta)


def load_tower(files: ModelFiles, base_folder: Path) -> QueryTower:
    """The shipped question encoder over the base model, both checked by hash."""
    meta = files.meta()
    check_files(files, base_folder, meta)
    model = QueryTower(base_folder, int(meta["trained_layers"]))
    model.load_trained(load_file(str(files.weights_path)))
    return model.eval()
