"""The data model, one definition each: Article, Chunk, Passage, Citation, Answer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rag.domain.names import Name

# Query parameters that track a click rather than name a page.
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "ref")


def canonical_url(url: str) -> str:
    """The form of a URL two copies of one article share: no fragment, no tracking, no '/' tail."""
    parts = urlsplit(url.strip())
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme.lower()
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING_PARAMS)]
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, query, ""))


def stable_hash(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Article:
    title: str
    body: str
    outlet: str
    url: str = ""
    author: str = ""
    published_at: datetime | None = None
    source: str = ""
    # ISO 639-1 code read from a web page ("en", "de"); "" where the source does not say.
    language: str = ""
    # The whole file is this one article: a new version of the file replaces whatever article
    # the file held before, even when an edited title or outlet gives it a new id.
    whole_file: bool = False

    @property
    def id(self) -> str:
        """From the canonical URL; from outlet, title and date where there is no URL."""
        if self.url:
            return stable_hash("url", canonical_url(self.url))
        date = self.published_at.date().isoformat() if self.published_at else ""
        return stable_hash("otd", self.outlet.casefold(), self.title.casefold(), date)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored about the article changes, metadata included."""
        published = self.published_at.isoformat() if self.published_at else ""
        # The language joins the hash only where known, so stores of text and JSON keep theirs.
        language = (self.language,) if self.language else ()
        return stable_hash(
            self.title, self.body, self.outlet, self.url, self.author, published, *language
        )


@dataclass(frozen=True)
class Chunk:
    article: Article
    index: int
    text: str
    # Its named entities, (start, end, label) over ``text`` (rag.domain.names); None: not read.
    names: tuple[tuple[int, int, str], ...] | None = None
    # The wire story the article is a copy of (ingest.stories); None: not grouped.
    story: str | None = None
    # On an article's first chunk: the article's MinHash signature, encoded, and its LSH band
    # keys (space-separated), by which copies of the story find it.
    signature: str | None = None
    bands: str | None = None

    @property
    def embed_text(self) -> str:
        """What the model reads: the title gives every chunk its article's context."""
        return f"{self.article.title}\n{self.text}"

    @property
    def id(self) -> str:
        return stable_hash(self.article.id, str(self.index), self.embed_text)


@dataclass(frozen=True)
class ArticleHead:
    """What a listing shows of an article."""

    id: str
    title: str
    outlet: str
    url: str
    author: str
    published_at: str | None  # ISO time; None for an undated article
    published_ts: int  # epoch seconds; -1 for an undated article


@dataclass(frozen=True)
class OutletCount:
    outlet: str
    articles: int
    newest: str | None  # the newest article's publication time; None when all are undated


@dataclass(frozen=True)
class StoryNote:
    """What a reader is told of a wire story a cited article is one copy of (made by
    ``rag.domain.stories.story_note``)."""

    copies: int  # the story's other articles
    outlets: tuple[str, ...]  # the outlets of those copies, each once, the cited one's left out
    origin_outlet: str | None  # who reported it first (the earliest dated copy); None: undated
    origin_published_at: str | None
    origin_is_cited: bool  # the cited copy is the first report
    text: str  # the line shown: "Reported first by AP (2024-11-05); also carried by CNN."


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its metadata and scores (``score`` is what ranks it)."""

    chunk_id: str
    article_id: str
    text: str
    title: str
    outlet: str
    url: str
    published_at: str | None
    published_ts: int
    rank: int = 0
    dense_score: float = 0.0
    lexical_score: float = 0.0
    score: float = 0.0
    # The wire story this passage's article is a copy of (its own id when it is no copy), and
    # when other copies are stored, what a reader is told of them.
    story: str = ""
    story_note: StoryNote | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence an answer may quote, read once when its chunk is indexed: the words and the
    content terms the answerer matches (``rag.answering.candidates.read_sentences``), and the
    names of its chunk that it holds (read at ingest)."""

    text: str
    terms: tuple[str, ...]
    names: tuple[Name, ...] = ()


@dataclass(frozen=True)
class ArticleChunk:
    """One chunk of an article as the answerer reads it: the passage and its quotable
    sentences, in order."""

    passage: Passage
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Support:
    """How widely the short answer is reported: the other articles that hold it and every
    outlet that does (the cited one's included)."""

    articles: int
    outlets: int

    def line(self) -> str:
        if not self.articles:
            return ""
        articles = "article" if self.articles == 1 else "articles"
        outlets = "outlet" if self.outlets == 1 else "outlets"
        return f"Also in {self.articles} other {articles} from {self.outlets} {outlets}."


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    article_id: str
    outlet: str
    title: str
    url: str
    published_at: str | None
    quote: str
    # When the cited article is one copy of a wire story: who reported it first, who carries it.
    story_note: StoryNote | None = None

    @classmethod
    def of(cls, passage: Passage, n: int, quote: str) -> Citation:
        """The one way a retrieved passage becomes citation ``n``."""
        return cls(
            n=n,
            chunk_id=passage.chunk_id,
            article_id=passage.article_id,
            outlet=passage.outlet,
            title=passage.title,
            url=passage.url,
            published_at=passage.published_at,
            quote=quote,
            story_note=passage.story_note,
        )


@dataclass(frozen=True)
class Searched:
    """Where a question was looked for: a time span and the outlets (none: every outlet)."""

    since: datetime | None
    until: datetime
    outlets: tuple[str, ...] = ()

    def describe(self) -> str:
        """'news from 2024-10-10 to 2024-10-17, from CNN and BBC'"""
        span = f"up to {self.until:%Y-%m-%d}"
        if self.since is not None:
            span = f"from {self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}"
        outlets = "every outlet"
        if self.outlets:
            named = list(self.outlets)
            outlets = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        return f"news {span}, from {outlets}"


# A calibrated confidence under this says the answer is likelier wrong than right: it is shown
# marked as unsure.
UNSURE_UNDER = 0.5
NEAREST = 3  # passages a decline offers as search results


class Answerer(StrEnum):
    LLM = "llm"
    EXTRACTIVE = "extractive"


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    declined: bool = False
    answerer: Answerer = Answerer.EXTRACTIVE
    # Why the answer is not the plain one: the extractive answer stands in for a model that
    # failed ("timeout", "error", "no valid citations"), or the model's answer was cut short.
    reason: str | None = None
    question: str = ""  # the standalone question that was retrieved for
    passages: list[Passage] = field(default_factory=list)  # what the answerer was given
    retrieval_ms: float = 0.0
    answer_ms: float = 0.0
    # The extractive answerer's confidence (0-1) that its answer is right; None where none was
    # computed (a model's answer, nothing eligible to answer).
    confidence: float | None = None
    # The answering span (a name, a number, a date) that leads the text, when one is shown.
    short_answer: str | None = None
    support: Support | None = None  # with a short answer: who else reports it
    searched: Searched | None = None  # where it was looked for

    @property
    def unsure(self) -> bool:
        """An answer given with a calibrated confidence under ``UNSURE_UNDER``."""
        return not self.declined and self.confidence is not None and self.confidence < UNSURE_UNDER

    @property
    def nearest(self) -> list[Passage]:
        """On a decline, the nearest passages found (an article's best one each), best first,
        offered as search results."""
        if not self.declined:
            return []
        nearest: dict[str, Passage] = {}
        for passage in self.passages:
            nearest.setdefault(passage.article_id, passage)
        return list(nearest.values())[:NEAREST]

    @property
    def label(self) -> str:
        """Who answered and why, in words: "llm", "extractive (fallback: timeout)",
        "llm (interrupted: error)"."""
        if self.reason is None:
            return self.answerer.value
        happened = "fallback" if self.answerer is Answerer.EXTRACTIVE else "interrupted"
        return f"{self.answerer.value} ({happened}: {self.reason})"

    @classmethod
    def parse_label(cls, label: str) -> tuple[Answerer, str | None]:
        """The answerer and reason of a ``label`` (a run file's or an /ask response's)."""
        name, _, rest = label.partition(" (")
        reason = rest.split(": ", 1)[1].removesuffix(")") if ": " in rest else None
        return Answerer(name), reason
