"""The reader as a torch module: the packaged MiniLM read as a cross-encoder.

Used by training (``byline train reader``) and by the one-time ONNX export; the service itself
runs the exported copy on onnxruntime and never imports torch for it. The reader is the base
model with its top layers replaced by trained ones and a head on the mean of its token vectors
(the pooling the base was trained with), so only those layers and the head are shipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from rag.models.files import ModelFiles, check_files, write_meta

HIDDEN = 384


def _mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The (batch, 1, 1, pieces) additive mask an eager BERT layer takes."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class CrossReader(torch.nn.Module):
    """Scores (question, candidate) pairs: a logit each."""

    def __init__(self, base_folder: Path, trained_layers: int) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import BertModel

        self.bert: Any = BertModel.from_pretrained(
            str(base_folder), local_files_only=True, attn_implementation="eager"
        )
        self.trained_layers = trained_layers
        self.head = torch.nn.Linear(HIDDEN, 1)

    @property
    def top(self) -> list[torch.nn.Module]:
        layers = list(self.bert.encoder.layer)
        return layers[len(layers) - self.trained_layers :]

    def lower(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """The frozen part's output: what the trained layers read (cached while training)."""
        out = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_hidden_states=True,
        )
        return out.hidden_states[-1 - self.trained_layers]  # type: ignore[no-any-return]

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        additive = _additive(attention_mask, hidden.dtype)
        for layer in self.top:
            output = layer(hidden, attention_mask=additive)
            hidden = output[0] if isinstance(output, tuple) else output
        return self.head(_mean(hidden, attention_mask)).squeeze(-1)  # type: ignore[no-any-return]

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return self.head(_mean(out.last_hidden_state, attention_mask)).squeeze(-1)  # type: ignore[no-any-return]

    def freeze_lower(self) -> None:
        for parameter in self.parameters():
            parameter.requires_grad = False
        for module in [*self.top, self.head]:
            for parameter in module.parameters():
                parameter.requires_grad = True

    def trained_state(self, dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
        """What training changed: the top layers (fp16 on disk; fp32 in a checkpoint, so that
        a resumed run goes on exactly) and the head (fp32)."""
        first = len(self.bert.encoder.layer) - self.trained_layers
        state = {}
        for offset, layer in enumerate(self.top):
            for name, value in layer.state_dict().items():
                state[f"layer.{first + offset}.{name}"] = value.detach().to(dtype)
        for name, value in self.head.state_dict().items():
            state[f"head.{name}"] = value.detach().float()
        return {k: v.contiguous() for k, v in state.items()}

    def load_trained(self, state: dict[str, torch.Tensor]) -> None:
        first = len(self.bert.encoder.layer) - self.trained_layers
        for offset, layer in enumerate(self.top):
            prefix = f"layer.{first + offset}."
            mine = {k[len(prefix) :]: v.float() for k, v in state.items() if k.startswith(prefix)}
            layer.load_state_dict(mine)
        head = {k[len("head.") :]: v.float() for k, v in state.items() if k.startswith("head.")}
        self.head.load_state_dict(head)


def save_reader(model: CrossReader, files: ModelFiles, meta: dict[str, Any]) -> None:
    files.folder.mkdir(parents=True, exist_ok=True)
    save_file(model.trained_state(), str(files.weights_path))
    write_meta(files, meta)


def load_reader(files: ModelFiles, base_folder: Path) -> CrossReader:
    """The shipped reader over the base model, both checked by hash."""
    meta = files.meta()
    check_files(files, base_folder, meta)
    model = CrossReader(base_folder, int(meta["trained_layers"]))
    model.load_trained(load_file(str(files.weights_path)))
    return model.eval()
