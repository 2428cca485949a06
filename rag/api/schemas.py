"""Request and response bodies of the HTTP API (and of ``byline ask --json``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from rag.answering.followup import Turn
from rag.answering.untrusted import instruction_free
from rag.catalogue import Catalogue
from rag.domain.models import Answer, Citation, Passage, Searched
from rag.domain.models import Support as DomainSupport
from rag.retrieval.retriever import Query, day_end, day_start


def _date_or_time(value: object) -> date | datetime:
    """A bare YYYY-MM-DD stays a date, so that 'until' covers the whole day; anything else must
    be an ISO 8601 time. Parsed here in one place, so that an error names the field alone (not
    each member of a union) and a number is never read as seconds since 1970."""
    if isinstance(value, date):  # datetime too
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError("expected a date (YYYY-MM-DD) or an ISO 8601 time")


def _whole_number(value: object) -> object:
    """JSON's integers: 5 and 5.0 (JSON Schema calls both integers), never "5", 5.5 or true."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("expected a whole number")
        return int(value)
    return value


# JSON Schema's \s (ECMAScript's white space and line terminators), so that "not blank" means the
# same to a client's validator and to the server.
BLANKS = (
    " \t\n\r\f\v\u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
NOT_BLANK = f"[^{BLANKS}]"  # a pattern: some character that is not white space
# The schema states the pattern; the server's own check says "must not be blank" in words.
STATES_NOT_BLANK: JsonDict = {"pattern": NOT_BLANK}


def _not_blank(value: str) -> str:
    if not value.strip(BLANKS):
        raise ValueError("must not be blank")
    return value


# Bounds go before the validator, so that the schema states them (minimum, maximum).
TopK = Annotated[int, Field(ge=1, le=20), BeforeValidator(_whole_number)]
OnlyOne = Annotated[int, Field(ge=1, le=1), BeforeValidator(_whole_number)]
DateOrTime = Annotated[datetime | date, BeforeValidator(_date_or_time)]


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class SearchRequest(BaseModel):
    """What to retrieve: a question and Byline's filters (``/search``, and ``/ask`` with more)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=2000,
        json_schema_extra=STATES_NOT_BLANK,
        description="The question, 1-2000 chars, not all white space.",
    )
    # Strict: "5", "true" or 0 for a flag are not what a client meant; say so rather than guess.
    top_k: TopK | None = Field(None, description="Passages to retrieve (1-20).")
    outlets: list[str] | None = Field(
        None, max_length=50, description="Only these outlets (case-insensitive)."
    )
    since: DateOrTime | None = Field(
        None, description="Only articles published on or after this date (YYYY-MM-DD) or time."
    )
    until: DateOrTime | None = Field(
        None, description="Only articles published on or before this date (whole day) or time."
    )
    as_of: DateOrTime | None = Field(
        None,
        description="As of this date (end of day) or time: 'this week' is the week before it,"
        " and nothing published after it is used. Default: now.",
    )

    @field_validator("question")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return _not_blank(value).strip(BLANKS)

    @model_validator(mode="after")
    def _ordered_dates(self) -> Self:
        if self.since and self.until and day_start(self.since) > day_end(self.until):
            raise ValueError("since must not be after until")
        return self

    def to_query(self, default_top_k: int) -> Query:
        return Query.bounded(
            self.question,
            self.top_k or default_top_k,
            self.outlets or (),
            self.since,
            self.until,
            self.as_of,
        )


class SearchScope(BaseModel):
    since: datetime | None = Field(description="The earliest publication time looked at.")
    until: datetime = Field(description="The latest: the question's time or the window's end.")
    outlets: list[str] = Field(description="The outlets looked at; empty: every outlet.")
    text: str = Field(description="The same in words: 'news up to 2024-10-17, from every outlet'.")

    @classmethod
    def of(cls, searched: Searched) -> SearchScope:
        return cls(
            since=searched.since,
            until=searched.until,
            outlets=list(searched.outlets),
            text=searched.describe(),
        )


class SearchResponse(BaseModel):
    question: str = Field(description="The question as asked.")
    searched: SearchScope = Field(
        description="The time and outlets the question was looked for in, as /ask says them"
        " (an object since 0.3; it was the searched text, now `searched_text`)."
    )
    searched_text: str = Field(
        description="What was searched for: the question without its outlet and time words."
    )
    passages: list[Passage] = Field(description="The retrieved passages, in rank order.")
    retrieval_ms: float


class AskRequest(SearchRequest):
    stream: StrictBool = Field(
        False, description="Answer as Server-Sent Events: 'delta' events, then one 'done' event."
    )
    include_passages: StrictBool = Field(
        False, description="Also return the retrieved passages the answer was drawn from."
    )
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=20,
        description="The conversation so far, oldest first: a follow-up question is read in its"
        " light ('and what did he say next?').",
    )

    def turns(self) -> list[Turn]:
        return [Turn(t.role, t.content) for t in self.history]


class Support(BaseModel):
    articles: int = Field(description="Other articles that hold the short answer.")
    outlets: int = Field(description="Outlets whose articles hold it, the cited one's included.")
    text: str = Field(description="The same, as the line a reader is shown ('' when none).")

    @classmethod
    def of(cls, support: DomainSupport) -> Support:
        return cls(articles=support.articles, outlets=support.outlets, text=support.line())


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation]
    declined: bool
    answerer: str = Field(
        description="'llm', 'extractive', or 'extractive (fallback: timeout|error|no valid"
        " citations)'"
    )
    question: str = Field(description="The standalone question retrieval used.")
    retrieval_ms: float
    answer_ms: float
    confidence: float | None = Field(
        None,
        description="The extractive answerer's calibrated confidence (0-1) that its answer is"
        " right; a decline under BYLINE_MIN_ANSWER_CONFIDENCE still says it. None when nothing"
        " could answer, or a model answered.",
    )
    short_answer: str | None = Field(
        None,
        description="The answer in a few words (a name, a number, a date) that leads `answer`:"
        " the candidate the week's articles support best, when the evidence model is sure of it"
        " and the first quoted sentence holds it; None otherwise, and for a model's answer.",
    )
    support: Support | None = Field(
        None,
        description="With a short answer: how many other articles and outlets carry it (copies"
        " of one wire story count once). Added in 0.2; absent before.",
    )
    unsure: bool = Field(
        False,
        description="The answer is given with a calibrated confidence under 0.5: likelier wrong"
        " than right, shown marked so; check its sources.",
    )
    searched: SearchScope | None = Field(
        None, description="The time and outlets the question was looked for in."
    )
    nearest: list[Passage] = Field(
        default_factory=list,
        description="On a decline, the nearest passages found, best first, as search results.",
    )
    passages: list[Passage] | None = Field(
        None, description="The retrieved passages, in rank order (with include_passages)."
    )

    @classmethod
    def of(cls, answer: Answer, include_passages: bool = False) -> AskResponse:
        return cls(
            answer=answer.text,
            citations=answer.citations,
            declined=answer.declined,
            answerer=answer.label,
            question=answer.question,
            retrieval_ms=answer.retrieval_ms,
            answer_ms=answer.answer_ms,
            confidence=None if answer.confidence is None else round(answer.confidence, 4),
            short_answer=answer.short_answer,
            support=None if answer.support is None else Support.of(answer.support),
            unsure=answer.unsure,
            searched=None if answer.searched is None else SearchScope.of(answer.searched),
            nearest=[replace(p, text=instruction_free(p.text)) for p in answer.nearest],
            passages=answer.passages if include_passages else None,
        )


class ArticleOut(BaseModel):
    id: str
    title: str
    outlet: str
    published_at: str | None
    url: str
    author: str


class ArticleIn(BaseModel):
    """One article to ingest: the fields of a JSONL export record."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=1000, json_schema_extra=STATES_NOT_BLANK)
    body: str = Field(
        min_length=1,
        json_schema_extra=STATES_NOT_BLANK,
        description="The article's text (plain text).",
    )
    outlet: str = Field("", max_length=200, description="Default: read from the URL's host.")
    url: str = Field("", max_length=2000)
    author: str = Field("", max_length=500)
    published_at: DateOrTime | None = Field(
        None, description="A date (YYYY-MM-DD) or an ISO 8601 time; none: undated."
    )

    @field_validator("title", "body")
    @classmethod
    def _visible(cls, value: str) -> str:
        return _not_blank(value)


class IngestOut(BaseModel):
    id: str
    status: Literal["new", "updated", "unchanged"]
    chunks_embedded: int
    chunks_deleted: int


class OutletOut(BaseModel):
    outlet: str
    articles: int
    newest: str | None = Field(description="The newest article's publication time; none: undated.")


class OutletList(BaseModel):
    articles: int = Field(description="Articles in the store, all outlets.")
    items: list[OutletOut] = Field(description="Most articles first.")

    @classmethod
    def of(cls, catalogue: Catalogue) -> OutletList:
        """What is ingested, per outlet (``GET /outlets`` and MCP's ``list_outlets``)."""
        total, rows = catalogue.outlets()
        items = [OutletOut.model_validate(row, from_attributes=True) for row in rows]
        return cls(articles=total, items=items)


class ArticlePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ArticleOut]


class ErrorDetail(BaseModel):
    code: str
    message: str
    type: str = Field(description="OpenAI's error class, e.g. invalid_request_error.")
    param: str | None = Field(description="The request field at fault, if one is.")


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


# What any route may answer: 401 (keys), 413 (body size) and 429 (budgets) included.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 413, 422, 429, 500, 503)
}
