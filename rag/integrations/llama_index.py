"""Byline's retrieval as a LlamaIndex retriever (``pip install 'byline[llama-index]'``).

    from rag.integrations.llama_index import BylineRetriever
    retriever = BylineRetriever(url="http://localhost:8000", outlets=["CNN"], since="2023-01-01")
    engine = RetrieverQueryEngine.from_args(retriever, llm=...)   # or CitationQueryEngine

Each node is one passage: its text, a score (Byline's fused rank score), and metadata with the
outlet, title, url, publication date, article and chunk ids and rank; the node id is the chunk id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.integrations.passages import Filters, PassageSource, When, metadata, source
from rag.settings import Settings


class BylineRetriever(BaseRetriever):
    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        data_dir: Path | str | None = None,
        settings: Settings | None = None,
        top_k: int | None = None,
        outlets: Sequence[str] = (),
        since: When = None,
        until: When = None,
        as_of: When = None,
        timeout_s: float = 30.0,
        passages: PassageSource | None = None,
        **kwargs: Any,
    ) -> None:
        """``url`` (and ``api_key``) for a running Byline; else ``data_dir`` or ``settings``
        (the environment's, by default) in this process; ``passages`` to share one source."""
        super().__init__(**kwargs)
        self._passages = passages or source(url, api_key, data_dir, settings, timeout_s)
        self._filters = Filters.of(top_k, outlets, since, until, as_of)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [
            NodeWithScore(
                node=TextNode(id_=p.chunk_id, text=p.text, metadata=metadata(p)), score=p.score
            )
            for p in self._passages.search(query_bundle.query_str, self._filters)
        ]
