from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.raw_text import UNKNOWN_OUTLET, parse_raw_article
from rag.errors import IngestError
from tests.conftest import SEEDS

NEWSTRACK = SEEDS / "000_518b6f052260207a.txt"
ICARO = SEEDS / "002_2d9d8c9a3c948d3e.txt"
CHROME = [
    "Share:",
    "Join NewsTrack Whatsapp group",
    "Related News",
    "https://",
    "The views expressed in this article",
]


def parse(path):  # type: ignore[no-untyped-def]
    return parse_raw_article(path.read_text(encoding="utf-8"), str(path))


def test_newstrack_seed_is_recovered_without_page_chrome() -> None:
    article = parse(NEWSTRACK)
    assert article.outlet == "NewsTrack"
    assert (
        article.title
        == "Zelensky to Present Ukraine's Victory Plan at NATO Amid US Election Uncertainty"
    )
    assert article.published_at is None  # the page prints no date
    assert article.body.startswith("Ukrainian President Volodymyr Zelensky is set to present")
    assert article.body.endswith("leaving some to wonder when further support might arrive.")
    assert article.title not in article.body
    for chrome in CHROME:
        assert chrome not in article.body


def test_icaro_seed_is_recovered_without_page_chrome() -> None:
    article = parse(ICARO)
    assert article.outlet == "ICARO Media Group"
    assert article.title == "NATO's Lukewarm Response to Zelenskyy's Victory Plan Signals Caution"
    assert article.published_at == datetime(2024, 10, 17, 21, 33, tzinfo=UTC)
    lines = article.body.splitlines()
    assert "Politics" not in lines
    assert "Related" not in lines
    assert "ICARO Media Group" not in lines
    assert not any(line.startswith("#") for line in lines)
    assert "€40 billion military aid goal" in article.body
    assert article.body.rstrip().endswith("the broader implications of their decisions.")
    for chrome in CHROME:
        assert chrome not in article.body


def test_another_sites_page_uses_the_same_heuristics() -> None:
    page = "\n".join(
        [
            "World",
            "Floods Close Schools Across the Region",
            "By Jane Doe",
            "Published: March 3, 2025 at 9:15 AM",
            "Advertisement",
            "Heavy rain closed more than 200 schools across the region on Monday, officials said.",
            "",
            "Click here to subscribe",
            "Crews worked through the night to clear roads near the river, the mayor said.",
            "Read next:",
            "Some Other Headline About Something Else",
            "© 2025 Daily Herald. All rights reserved.",
        ]
    )
    article = parse_raw_article(page, "herald.txt")
    assert article.title == "Floods Close Schools Across the Region"
    assert article.author == "Jane Doe"
    assert article.published_at == datetime(2025, 3, 3, 9, 15, tzinfo=UTC)
    assert article.outlet == "Daily Herald"
    assert article.body.splitlines() == [
        "Heavy rain closed more than 200 schools across the region on Monday, officials said.",
        "",
        "Crews worked through the night to clear roads near the river, the mayor said.",
    ]


def test_front_matter_overrides_any_field() -> None:
    text = (
        "---\ntitle: The Real Headline\noutlet: Example Wire\nurl: https://example.org/a\n"
        "published_at: 2024-05-01T08:00:00+02:00\nauthor: A. Writer\n---\n"
        + ICARO.read_text(encoding="utf-8")
    )
    article = parse_raw_article(text, "fm.txt")
    assert article.title == "The Real Headline"
    assert article.outlet == "Example Wire"
    assert article.url == "https://example.org/a"
    assert article.author == "A. Writer"
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2024-05-01T08:00:00+02:00"
    assert "€40 billion" in article.body


def test_malformed_front_matter_names_the_file_and_line() -> None:
    with pytest.raises(IngestError, match=r"bad\.txt:\d+: malformed YAML"):
        parse_raw_article("---\ntitle: [unclosed\n---\nBody text here.", "bad.txt")


@pytest.mark.parametrize("text", ["", "\n\n", "Share:\nRelated\n"])
def test_a_page_without_headline_or_body_is_rejected(text: str) -> None:
    with pytest.raises(IngestError):
        parse_raw_article(text, "empty.txt")


def test_outlet_falls_back_to_the_url_and_then_to_unknown() -> None:
    body = "A long enough sentence of article text to count as prose for the parser."
    with_url = parse_raw_article(f"---\nurl: https://www.cnn.com/x\n---\nHeadline\n{body}", "a")
    assert with_url.outlet == "CNN"
    assert parse_raw_article(f"Headline\n{body}", "b").outlet == UNKNOWN_OUTLET
