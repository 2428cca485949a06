from __future__ import annotations

import itertools

import pytest

from ingest.chunker import Chunker
from ingest.records import read_jsonl
from ingest.sources import read_articles
from rag.adapters.embedder import Embedder
from rag.domain.models import Article
from tests.conftest import SEEDS, SHARED_DATASETS


def chunk_all(embedder: Embedder, articles: list[Article]) -> list[int]:
    chunker = Chunker(embedder.count_pieces, embedder.max_tokens, overlap_tokens=40)
    return [embedder.count_tokens(c.embed_text) for a in articles for c in chunker.chunk(a)]


def test_no_chunk_exceeds_the_models_sequence_length(embedder: Embedder) -> None:
    articles = [a for a in read_articles(SEEDS / "002_2d9d8c9a3c948d3e.txt")]
    articles += [a for a in read_articles(SEEDS / "000_518b6f052260207a.txt")]
    long_sentence = " ".join(f"word{i} and €{i}bn" for i in range(400)) + "."
    articles.append(
        Article(
            title="A headline that is rather long, to eat into the budget of every chunk " * 3,
            body=("Short sentence number one. " * 120) + long_sentence,
            outlet="Test",
        )
    )
    sizes = chunk_all(embedder, [a for a in articles if isinstance(a, Article)])
    assert embedder.max_tokens == 256
    assert len(sizes) > 5
    assert max(sizes) <= 256


@pytest.mark.skipif(not SHARED_DATASETS.exists(), reason="shared datasets not beside the checkout")
def test_real_news_chunks_fit(embedder: Embedder) -> None:
    path = SHARED_DATASETS / "realtimeqa-2023" / "corpus.jsonl.gz"
    articles = [a for a in itertools.islice(read_jsonl(path), 60) if isinstance(a, Article)]
    assert max(chunk_all(embedder, articles)) <= 256


def test_consecutive_chunks_overlap_by_whole_sentences(embedder: Embedder) -> None:
    body = " ".join(
        f"Sentence {i} tells the reader one more fact about the story." for i in range(80)
    )
    chunker = Chunker(embedder.count_pieces, 256, overlap_tokens=40)
    chunks = chunker.chunk(Article(title="Facts", body=body, outlet="Test"))
    assert len(chunks) >= 3
    for before, after in itertools.pairwise(chunks):
        first_sentence = after.text.split(". ")[0] + "."
        assert first_sentence in before.text
    assert chunks[-1].text.endswith("Sentence 79 tells the reader one more fact about the story.")
