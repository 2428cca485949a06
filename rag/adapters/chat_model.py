"""The chat model, through the ``openai`` SDK: OpenAI or any server speaking its protocol.

Every failure becomes :class:`GenerationFailed` with a short reason (``timeout`` or ``error``) so
the caller can fall back; the SDK's own retries are off (a retry would blow the time budget).
``BYLINE_LLM_TIMEOUT_S`` bounds each network wait and also the whole generation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from typing import Any

from rag.errors import GenerationFailed

log = logging.getLogger("byline.llm")


class ChatModel:
    def __init__(
        self, base_url: str | None, model: str, api_key: str, timeout_s: float, max_tokens: int
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self._max_tokens = max_tokens
        import openai  # ~0.8 s to import: only where a model is configured

        self._client = openai.OpenAI(
            base_url=base_url,
            # Local servers (llama.cpp, Ollama, vLLM) take any key; the SDK insists on one.
            api_key=api_key or "unused",
            timeout=timeout_s,
            max_retries=0,
        )

    def complete(self, messages: list[dict[str, str]]) -> str:
        try:
            reply = self._client.chat.completions.create(**self._request(messages))
            content = reply.choices[0].message.content
        except Exception as exc:
            raise _failure(exc) from exc
        if not isinstance(content, str):
            raise GenerationFailed("error", "the reply has no message content")
        return content

    def stream(self, messages: list[dict[str, str]]) -> Generator[str, None, None]:
        """Text deltas. Closing the iterator closes the connection, which stops generation."""
        deadline = time.monotonic() + self.timeout_s
        try:
            chunks = self._client.chat.completions.create(**self._request(messages), stream=True)
        except Exception as exc:
            raise _failure(exc) from exc
        received = 0
        try:
            for chunk in chunks:
                if time.monotonic() > deadline:
                    raise GenerationFailed("timeout", f"no complete answer in {self.timeout_s} s")
                if chunk.choices:
                    received += 1
                    text = chunk.choices[0].delta.content
                    if text:
                        yield text
            if not received:  # a reply that was not an event stream parses as no chunks at all
                raise GenerationFailed("error", "the streamed reply held no completion chunks")
        except GenerationFailed:
            raise
        except Exception as exc:
            raise _failure(exc) from exc
        finally:
            chunks.close()

    def _request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self._max_tokens,
        }


def _failure(exc: Exception) -> GenerationFailed:
    # The SDK wraps a timeout before the reply; one while reading a stream comes as its HTTP
    # library's own ReadTimeout.
    import openai

    timed_out = isinstance(exc, openai.APITimeoutError) or "Timeout" in type(exc).__name__
    reason = "timeout" if timed_out else "error"
    log.warning("chat model failed (%s): %s", reason, exc)
    return GenerationFailed(reason, str(exc) or type(exc).__name__)
