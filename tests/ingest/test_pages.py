"""Web pages, web archives and JSONL records holding HTML, read into articles; bad files refused
one line each while the rest are stored."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from eval.extraction import shingle_counts
from ingest.pages import read_page
from ingest.sources import read_articles
from rag.cli import main
from rag.errors import IngestError
from rag.wiring import Components
from tests.conftest import SEEDS, SHARED_DATASETS
from tests.ingest.test_stories import FOLLOW_UP, WIRE
from tests.ingest.web_server import news_page

PAGES = SHARED_DATASETS / "article-extraction"


def real_pages(count: int) -> list[tuple[Path, dict[str, str]]]:
    """The first pages of the ScrapingHub benchmark, read from the shared folder."""
    truth = json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    return [(PAGES / "html" / f"{page}.html.gz", truth[page]) for page in sorted(truth)[:count]]


@pytest.mark.skipif(not PAGES.is_dir(), reason="the shared article-extraction pages are absent")
def test_real_pages_give_the_article_a_person_marked() -> None:
    for path, truth in real_pages(4):
        (article,) = list(read_articles(path))
        assert not isinstance(article, IngestError), article
        tp, fp, fn = shingle_counts(truth["articleBody"], article.body)
        assert tp / (tp + fp) > 0.8 and tp / (tp + fn) > 0.8, path.name
        assert article.title and article.outlet
        assert article.source == str(path.resolve())


def test_a_page_file_keeps_its_metadata(tmp_path: Path) -> None:
    page = tmp_path / "dam.html"
    page.write_bytes(
        news_page("Dam breach floods Valmora", WIRE, "2024-11-06T09:00:00Z", "AP News")
    )
    (article,) = list(read_articles(page))
    assert not isinstance(article, IngestError)
    assert article.title == "Dam breach floods Valmora"
    assert article.outlet == "Associated Press"
    assert (
        article.published_at is not None
        and article.published_at.isoformat() == "2024-11-06T09:00:00+00:00"
    )
    assert article.language == "en"
    assert article.body.split("\n\n")[0] == WIRE[0]  # paragraphs kept apart


def test_a_page_in_another_language_is_stored_as_it_is_with_its_language() -> None:
    german = [
        "Das Hochwasser hat in der Nacht zum Mittwoch den Damm oberhalb der Stadt Valmora"
        " durchbrochen, teilten die Behörden der Region mit.",
        "Mehr als dreitausend Menschen mussten ihre Häuser verlassen. Die Feuerwehr brachte"
        " zwei Pflegeheime und eine Schule mit Booten in Sicherheit.",
    ]
    article = read_page(news_page("Damm gebrochen", german, "2024-11-06", "Kurier"), "de.html")
    assert article.language == "de"
    assert article.body.startswith("Das Hochwasser")


def test_bad_files_are_one_line_each_and_the_rest_are_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.html").write_bytes(news_page("Dam repairs to cost 48 million", FOLLOW_UP))
    (folder / "empty.html").write_bytes(b"")
    (folder / "binary.html").write_bytes(bytes(range(256)) * 40)
    whole = gzip.compress(news_page("Dam breach floods Valmora", WIRE))
    (folder / "cut.html.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "menu.htm").write_bytes(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    monkeypatch.setenv("BYLINE_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "--quiet", str(SEEDS)]) == 0
    capsys.readouterr()
    code = main(["ingest", "--quiet", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "read 5 · new 1 ·" in out and "rejected 4" in out
    lines = err.splitlines()
    for name, words in (
        ("empty.html", "empty file"),
        ("binary.html", "no article found"),
        ("cut.html.gz", "cannot read"),
        ("menu.htm", "no article found"),
    ):
        assert sum(name in line and words in line for line in lines) == 1, (name, err)
    assert "Traceback" not in err
    # Nothing stored before was lost: the two sample articles are still there, unchanged.
    assert main(["ingest", "--quiet", str(SEEDS)]) == 0
    assert "unchanged 2" in capsys.readouterr().out


def warc_of(records: list[tuple[str, str, bytes, str]]) -> bytes:
    """A WARC of response records (URI, content type, body, WARC-Date), and one request."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for uri, kind, body, date in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(body),
            http_headers=headers,
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_record(record)
        record.raw_stream.close()  # warcio spools the payload to measure its digest
    request = writer.create_warc_record(
        records[0][0], "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")
    )
    writer.write_record(request)
    request.raw_stream.close()
    return buffer.getvalue()


def test_a_warc_gives_its_html_responses_with_the_record_as_fallback(
    tmp_path: Path, fresh: Components
) -> None:
    archive = tmp_path / "crawl.warc.gz"
    dam = news_page("Dam breach floods Valmora", WIRE)
    repairs = news_page("Dam repairs to cost 48 million", FOLLOW_UP, "2024-11-13T08:00:00Z")
    records = [
        ("https://news.example/dam", "text/html; charset=utf-8", dam, "2024-11-06T09:00:00Z"),
        ("https://news.example/logo.png", "image/png", b"\x89PNG\r\n", "2024-11-06T09:00:01Z"),
        ("https://news.example/repairs", "text/html", repairs, "2024-11-14T00:00:00Z"),
    ]
    archive.write_bytes(warc_of(records))
    articles = list(read_articles(archive))
    assert [type(a).__name__ for a in articles] == ["Article", "Article"]  # the image passed over
    undated, dated = articles
    assert not isinstance(undated, IngestError) and not isinstance(dated, IngestError)
    assert undated.url == "https://news.example/dam"
    assert undated.published_at is not None and undated.published_at.isoformat().startswith(
        "2024-11-06T09"
    )
    assert dated.published_at is not None and dated.published_at.date().isoformat() == "2024-11-13"
    assert undated.outlet == "news.example"  # no site name: the domain
    summary = fresh.ingestor().ingest_paths([archive])
    assert summary.new == 2 and summary.rejected == 0


def test_a_broken_warc_keeps_the_pages_before_the_break(tmp_path: Path) -> None:
    whole = warc_of(
        [("https://news.example/dam", "text/html", news_page("Dam", WIRE), "2024-11-06T09:00:00Z")]
    )
    archive = tmp_path / "cut.warc.gz"
    archive.write_bytes(whole + b"not a record at all" * 10)
    found = list(read_articles(archive))
    assert not isinstance(found[0], IngestError)
    assert isinstance(found[-1], IngestError) and "not a readable WARC" in found[-1].message


def test_jsonl_records_may_hold_the_page_as_html(tmp_path: Path) -> None:
    export = tmp_path / "pages.jsonl"
    record = {
        "html": news_page("Dam breach floods Valmora", WIRE).decode(),
        "url": "https://news.example/dam",
        "published_at": "2024-11-06",
        "outlet": "Example Wire",
    }
    export.write_text(json.dumps(record) + "\n" + json.dumps({"html": "<p>x</p>"}) + "\n")
    page, empty = list(read_articles(export))
    assert not isinstance(page, IngestError)
    assert page.outlet == "Example Wire" and page.url == "https://news.example/dam"
    assert page.published_at is not None and page.published_at.date().isoformat() == "2024-11-06"
    assert isinstance(empty, IngestError) and f"{export}:2" in empty.message
