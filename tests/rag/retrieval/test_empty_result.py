from __future__ import annotations

from datetime import UTC, datetime

from rag.domain.models import ArticleHead
from rag.retrieval.empty_result import empty_result_hints
from rag.retrieval.retriever import Query

OCTOBER_17 = int(datetime(2024, 10, 17, tzinfo=UTC).timestamp())
HEADS = [
    ArticleHead("n1", "Rutte and the plan", "NewsTrack", "", "", None, -1),
    ArticleHead("i1", "NATO's response", "ICARO Media Group", "", "", "2024-10-17", OCTOBER_17),
]


def test_no_hint_when_the_filters_leave_articles() -> None:
    assert empty_result_hints(Query("q", 5, outlets=("icaro media group",)), HEADS) == []


def test_hints_name_what_the_filters_left_out() -> None:
    since = datetime(2025, 1, 1, tzinfo=UTC)
    hints = empty_result_hints(Query("q", 5, outlets=("CNN",), since=since), HEADS)
    assert hints == [
        "no articles from 'CNN' are ingested; ingested outlets: ICARO Media Group (1),"
        " NewsTrack (1)",
        "a date range (--since/--until) leaves out the 1 undated article(s)",
        "no dated article falls in the dates asked for; the ingested ones run from 2024-10-17 to"
        " 2024-10-17",
    ]
    assert empty_result_hints(Query("q", 5), []) == [
        "nothing is ingested yet: run `byline ingest PATH` first"
    ]
