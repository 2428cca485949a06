from __future__ import annotations

import gzip
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.dates import parse_date
from ingest.records import read_json, read_jsonl
from rag.domain.models import Article, canonical_url
from rag.errors import IngestError
from tests.conftest import SHARED_DATASETS


def test_a_malformed_jsonl_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"title": "One", "body": "First body.", "outlet": "CNN"}\n'
        "{not json\n"
        '{"title": "Three", "text": "Third body.", "source": "The Week"}\n'
        '{"title": "Four"}\n',
        encoding="utf-8",
    )
    items = list(read_jsonl(path))
    errors = [i for i in items if isinstance(i, IngestError)]
    articles = [i for i in items if isinstance(i, Article)]
    assert [a.title for a in articles] == ["One", "Three"]
    assert articles[1].outlet == "The Week"
    assert [e.message.split(": ")[0] for e in errors] == [f"{path}:2", f"{path}:4"]


def test_gzipped_jsonl_and_json_arrays_load(tmp_path: Path) -> None:
    record = {"title": "T", "body": "B.", "outlet": "O", "published_at": "2023-09-28"}
    gz = tmp_path / "a.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    (article,) = list(read_jsonl(gz))
    assert isinstance(article, Article)
    assert article.published_at == datetime(2023, 9, 28, tzinfo=UTC)
    array = tmp_path / "b.json"
    array.write_text(json.dumps([record, {"title": "no body"}]), encoding="utf-8")
    first, second = list(read_json(array))
    assert isinstance(first, Article)
    assert isinstance(second, IngestError) and "item 2" in second.message


def test_multihop_rag_corpus_layout_loads(tmp_path: Path) -> None:
    # MultiHop-RAG's corpus.json: [{title, author, source, published_at, category, url, body}].
    corpus = [
        {
            "title": "The FTX trial is bigger than Sam Bankman-Fried",
            "author": "Elizabeth Lopatto",
            "source": "The Verge",
            "published_at": "2023-09-28T12:00:00+00:00",
            "category": "technology",
            "url": "https://www.theverge.com/2023/9/28/23893269/ftx-sam-bankman-fried-trial",
            "body": "Before his fall, Bankman-Fried made himself out to be the Good Boy of crypto.",
        }
    ]
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps(corpus), encoding="utf-8")
    (article,) = list(read_json(path))
    assert isinstance(article, Article)
    assert (article.outlet, article.author) == ("The Verge", "Elizabeth Lopatto")
    assert article.published_at == datetime(2023, 9, 28, 12, tzinfo=UTC)


@pytest.mark.skipif(not SHARED_DATASETS.exists(), reason="shared datasets not beside the checkout")
def test_realtimeqa_corpus_loads_as_it_is() -> None:
    path = SHARED_DATASETS / "realtimeqa-2023" / "corpus.jsonl.gz"
    sample = list(itertools.islice(read_jsonl(path), 200))
    assert all(isinstance(a, Article) for a in sample)
    outlets = {a.outlet for a in sample if isinstance(a, Article)}
    assert outlets <= {"USA Today", "CNN", "The Week"}


def test_article_ids_follow_the_canonical_url() -> None:
    a = Article(
        title="T", body="B", outlet="O", url="http://www.Example.com/story/?utm_source=x#top"
    )
    b = Article(title="T2", body="B2", outlet="O", url="https://example.com/story")
    assert canonical_url(a.url) == "https://example.com/story"
    assert a.id == b.id
    assert a.content_hash != b.content_hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17/10/2024 21h33", datetime(2024, 10, 17, 21, 33, tzinfo=UTC)),
        ("10/17/2024", datetime(2024, 10, 17, tzinfo=UTC)),
        ("Oct. 17, 2024 9:33 PM", datetime(2024, 10, 17, 21, 33, tzinfo=UTC)),
        ("Thursday, 17 October 2024", datetime(2024, 10, 17, tzinfo=UTC)),
        ("2024-10-17T21:33:00Z", datetime(2024, 10, 17, 21, 33, tzinfo=UTC)),
        ("Politics", None),
        ("31/02/2024", None),
    ],
)
def test_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected
