"""One article, one source: two cited passages of one article make one source line, in every
renderer (the text the CLI and the chat API give, and Slack's blocks)."""

from __future__ import annotations

from dataclasses import replace

from rag.domain.models import Answer, Answerer, ArticleHead, Citation
from rag.domain.stories import story_note
from rag.render import sources, sources_suffix
from rag.slack.format import answer_message


def cite(n: int, article: str, outlet: str, title: str) -> Citation:
    return Citation(
        n, f"{article}-c{n}", article, outlet, title, f"https://{article}.test/", "2024-10-17", "q"
    )


CITATIONS = [
    cite(1, "nato", "ICARO", "NATO pledges aid"),
    cite(2, "storm", "NewsTrack", "Storm shuts port"),
    cite(3, "nato", "ICARO", "NATO pledges aid"),
]


def test_passages_of_one_article_are_one_source_with_both_numbers() -> None:
    grouped = sources(list(reversed(CITATIONS)))
    assert [(s.numbers, s.article.outlet) for s in grouped] == [
        ((1, 3), "ICARO"),
        ((2,), "NewsTrack"),
    ]
    assert sources_suffix(CITATIONS) == (
        "\n\nSources:\n"
        "[1][3] ICARO — NATO pledges aid (2024-10-17) https://nato.test/\n"
        "[2] NewsTrack — Storm shuts port (2024-10-17) https://storm.test/"
    )


def test_slack_lists_each_article_once() -> None:
    answer = Answer(
        text="NATO pledged aid [1][3]; the port shut [2].",
        citations=CITATIONS,
        declined=False,
        answerer=Answerer.EXTRACTIVE,
        question="q",
    )
    blocks = answer_message(answer, "q")["blocks"]
    listed = next(
        b["text"]["text"] for b in blocks if "*Sources*" in b.get("text", {}).get("text", "")
    )
    assert listed.count("NATO pledges aid") == 1
    assert listed.startswith("*Sources*\n[1][3] <https://nato.test/|ICARO — NATO pledges aid>")


def test_a_copy_of_a_wire_story_names_the_first_report_under_its_source() -> None:
    copies = [ArticleHead("storm", "Storm shuts port", "NewsTrack", "", "", None, -1)]
    copies.append(
        ArticleHead(
            "wire", "Port shut", "Example <Wire>", "", "", "2024-10-16T08:00:00", 1729065600
        )
    )
    note = story_note("storm", "NewsTrack", copies)
    cited = [replace(CITATIONS[1], n=1, story_note=note)]
    assert sources_suffix(cited) == (
        "\n\nSources:\n"
        "[1] NewsTrack — Storm shuts port (2024-10-17) https://storm.test/\n"
        "    Reported first by Example <Wire> (2024-10-16); also carried by Example <Wire>."
    )
    answer = Answer(text="The port shut [1].", citations=cited, question="q")
    blocks = answer_message(answer, "q")["blocks"]
    listed = next(
        b["text"]["text"] for b in blocks if "*Sources*" in b.get("text", {}).get("text", "")
    )
    assert "_Reported first by Example &lt;Wire&gt; (2024-10-16)" in listed  # escaped for Slack
