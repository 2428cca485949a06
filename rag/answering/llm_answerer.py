"""The LLM answerer: the answer prompt filled with numbered, delimited passages; the model's
reply handed back sentence by sentence (complete sentences only) for the citation check."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

from rag.adapters.chat_model import ChatModel
from rag.answering.grounding import SentenceStream, generated_sentences
from rag.answering.prompts import Prompt
from rag.answering.untrusted import instruction_free, quoted
from rag.domain.models import Passage
from rag.render import day


class LLMAnswerer:
    def __init__(self, model: ChatModel, prompt: Prompt, decline_text: str) -> None:
        self._model = model
        self.prompt = prompt
        self._decline = decline_text

    def messages(
        self, question: str, passages: list[Passage], as_of: datetime
    ) -> list[dict[str, str]]:
        return self.prompt.render(
            as_of=as_of.strftime("%A, %d %B %Y"),
            decline=self._decline,
            passages="\n\n".join(_passage_block(n, p) for n, p in enumerate(passages, start=1)),
            question=quoted(question),
        )

    def sentences(
        self, question: str, passages: list[Passage], as_of: datetime, stream: bool
    ) -> Generator[str, None, None]:
        """The model's sentences as they complete; raises GenerationFailed."""
        messages = self.messages(question, passages, as_of)
        if not stream:
            yield from generated_sentences(self._model.complete(messages))
            return
        sentences = SentenceStream()
        deltas = self._model.stream(messages)
        try:
            for delta in deltas:
                yield from sentences.feed(delta)
        finally:
            deltas.close()  # an abandoned stream (client gone) closes the model's connection
        yield from sentences.finish()


def _passage_block(n: int, passage: Passage) -> str:
    def attribute(value: str) -> str:
        # An article's title and outlet are its text too: an order planted in them is dropped
        # as it is from the passage, then the rest is escaped.
        guarded = " ".join(instruction_free(value).split())
        return quoted(guarded).replace('"', "'")

    date = day(passage.published_at) or "undated"
    return (
        f'<passage n="{n}" outlet="{attribute(passage.outlet)}" '
        f'title="{attribute(passage.title)}" published="{date}">\n'
        f"{quoted(instruction_free(passage.text))}\n</passage>"
    )
