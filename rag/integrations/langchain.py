"""Byline's retrieval as a LangChain retriever (``pip install 'byline[langchain]'``).

    from rag.integrations.langchain import BylineRetriever
    retriever = BylineRetriever(url="http://localhost:8000", outlets=["CNN"])
    docs = retriever.invoke("What did NATO promise Ukraine?")

Each document is one passage: its text, and metadata with the outlet, title, url, publication
date, article and chunk ids, rank and Byline's score; the document id is the chunk id.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr, SkipValidation

from rag.integrations.passages import Filters, PassageSource, When, metadata, source


class BylineRetriever(BaseRetriever):
    """``url`` (and ``api_key``) for a running Byline; else ``data_dir`` (or the environment's
    settings) in this process; ``passages`` to share one source."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str | None = None
    api_key: str | None = None
    data_dir: Path | None = None
    top_k: int | None = None
    outlets: list[str] = Field(default_factory=list)
    since: When = None
    until: When = None
    as_of: When = None
    timeout_s: float = 30.0
    passages: SkipValidation[PassageSource | None] = None  # a Protocol: pydantic cannot check it
    _source: PassageSource | None = PrivateAttr(default=None)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        filters = Filters.of(self.top_k, self.outlets, self.since, self.until, self.as_of)
        return [
            Document(id=p.chunk_id, page_content=p.text, metadata={**metadata(p), "score": p.score})
            for p in self._passages().search(query, filters)
        ]

    def _passages(self) -> PassageSource:
        if self._source is None:
            self._source = self.passages or source(
                self.url, self.api_key, self.data_dir, timeout_s=self.timeout_s
            )
        return self._source
