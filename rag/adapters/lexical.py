"""The lexical (BM25) index beside the Chroma vectors.

Ingest writes each chunk's terms to ``lexical.sqlite`` in the data dir (same chunk ids as Chroma,
upserts and deletions applied in step); that table is the index's durable, incremental form. The
searchable form is a BM25 score matrix (bm25s builds it) made from the table when first
searched and rebuilt only when the store's change token moves (after an ingest), never per
query; the first process to build it for a token saves it (:mod:`rag.adapters.bm25_cache`) and
the next ones load it. Searching 76k chunks takes about 1 ms; building takes about 6 s, loading
a fraction of one.

On a Chroma server the table is each host's own cache: filled from the store on first use and
kept level by applying the server's change log before each rebuild; the ingest workers write
only to the server. Which of the two, :mod:`rag.adapters.sync` decides; this module never asks.

The same table keeps the catalogue: one row per article (its first chunk's metadata), written
and deleted with that chunk, so that listing articles or counting outlets is an indexed query,
never a scan of the store's metadata. A data dir from before the catalogue fills it once from
the store on first use.

And it keeps what the answerer reads, computed once when a chunk is written: each chunk's text,
article and place in it, and its quotable sentences with their terms (the ``SentenceReader`` the
wiring gives). A request reads the retrieved chunks and their whole articles with two indexed
queries here, never a metadata scan of the store (~18 ms at 76k chunks) nor a re-reading of the
text (~55 ms). A table of an earlier layout, or read by another version of the reader, is
refilled from the store in place when opened (about two minutes for 76k chunks, once).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rag.adapters.bm25_cache import Bm25Cache, ScoreMatrix, Searchable
from rag.adapters.changelog import Change
from rag.adapters.store import UNDATED, ChromaStore, article_head, chunk_metadata
from rag.domain import names
from rag.domain.models import ArticleChunk, ArticleHead, Chunk, OutletCount, Passage, Sentence
from rag.domain.names import Name
from rag.domain.text import content_terms

log = logging.getLogger("byline.lexical")

# Of the chunks table: 2 added each chunk's text, article, place and sentences; 3 the names each
# sentence holds (from the store's ``names``, read at ingest).
LAYOUT = "3"


class SentenceReader(Protocol):
    """Reads a chunk's text into the sentences an answer may quote; ``version`` changes
    whenever what it reads changes, so that tables it filled are read again."""

    version: str

    def __call__(self, text: str) -> tuple[Sentence, ...]: ...


# A filter sees whole columns (publication times, outlet keys) at once, once a query.
AllowedFn = Callable[[npt.NDArray[np.int64], npt.NDArray[np.str_]], npt.NDArray[np.bool_]]
_SCHEMA = """
create table if not exists chunks (
    chunk_id text primary key,
    terms text not null,
    published_ts integer not null,
    outlet text not null,
    article_id text not null,
    chunk_index integer not null,
    text text not null,
    sentences text not null
);
create index if not exists chunks_by_article on chunks (article_id, chunk_index);
create table if not exists applied_changes (change_id text primary key, at real not null);
create table if not exists articles (
    article_id text primary key,
    first_chunk text not null,
    title text not null,
    outlet text not null,
    outlet_key text not null,
    url text not null,
    author text not null,
    published_at text not null,
    published_ts integer not null
);
create index if not exists articles_by_time on articles (published_ts desc, title desc);
create index if not exists articles_by_outlet
    on articles (outlet_key, published_ts desc, title desc);
create index if not exists articles_by_chunk on articles (first_chunk);
create table if not exists meta (key text primary key, value text not null);
create table if not exists stories (article_id text primary key, story text not null);
create index if not exists stories_by_story on stories (story);
create table if not exists story_bands (key text not null, article_id text not null);
create index if not exists story_bands_by_key on story_bands (key);
create index if not exists story_bands_by_article on story_bands (article_id);
"""
_HEAD = "article_id, title, outlet, url, author, published_at, published_ts"


def chunk_terms(title: str, text: str) -> list[str]:
    """Index terms of a chunk; the headline counts twice (it names what the story is about)."""
    title_terms = content_terms(title)
    return title_terms + title_terms + content_terms(text)


@dataclass(frozen=True)
class LexicalRow:
    chunk_id: str
    terms: str
    published_ts: int
    outlet: str
    article_id: str
    chunk_index: int
    text: str
    sentences: str  # JSON: [[sentence, its terms joined by spaces, [[name, label], ...]], ...]
    head: ArticleHead | None = None  # on an article's first chunk: its catalogue row
    story: str = ""  # on an article's first chunk: the wire story it is a copy of, if grouped
    bands: tuple[str, ...] = ()  # on an article's first chunk: its LSH band keys (copies find it)

    @classmethod
    def stored(
        cls, chunk_id: str, text: str, meta: Mapping[str, Any], read: SentenceReader
    ) -> LexicalRow:
        """The row of a chunk as Chroma holds it (text and flat metadata)."""
        index = int(meta.get("chunk_index", -1))
        quotable = read(text)
        spans = names.decode(meta.get(names.FIELD)) or ()
        held = names.by_sentence([s.text for s in quotable], text, spans)
        sentences = [
            [s.text, " ".join(s.terms), [[n.text, n.label] for n in mine]]
            for s, mine in zip(quotable, held, strict=True)
        ]
        return cls(
            chunk_id,
            " ".join(chunk_terms(str(meta["title"]), text)),
            int(meta.get("published_ts", UNDATED)),
            str(meta["outlet"]),
            str(meta["article_id"]),
            index,
            text,
            json.dumps(sentences, ensure_ascii=False),
            article_head(meta) if index == 0 else None,
            str(meta.get("story", "")) if index == 0 else "",
            tuple(str(meta.get("story_bands", "")).split()) if index == 0 else (),
        )

    def values(self) -> tuple[Any, ...]:
        return (
            self.chunk_id, self.terms, self.published_ts, self.outlet, self.article_id,
            self.chunk_index, self.text, self.sentences,
        )  # fmt: skip


@dataclass(frozen=True)
class ChunkFacts:
    chunk_id: str
    article_id: str
    chunk_index: int  # 0: the article's first chunk (its lead)
    terms: frozenset[str]  # index terms, the headline's included
    headline: str
    text: str


class LexicalIndex:
    def __init__(self, data_dir: Path, store: ChromaStore, read: SentenceReader) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._store = store
        self._read = read
        self._sync = store.sync
        self._db = data_dir / self._sync.lexical_file(store.collection)
        self._saved = Bm25Cache(self._db.with_suffix(".bm25"))
        self._lock = threading.RLock()
        self._searchable: Searchable | None = None
        self._built_for: str | None = None
        self._levelled_for: str | None = None
        self._layout = f"{LAYOUT}/{read.version}"
        if self._open() != self._layout:
            self._upgrade()

    def _open(self) -> str | None:
        """Create what is missing; the layout the table was filled in (None: an earlier one)."""
        with closing(self._connect()) as db, db:
            columns = {row[1] for row in db.execute("pragma table_info(chunks)")}
            earlier = bool(columns) and "sentences" not in columns
            if earlier:
                db.execute("drop table chunks")  # layout 1: refilled by _upgrade
            db.executescript(_SCHEMA)
            found = db.execute("select value from meta where key = 'layout'").fetchone()
            if earlier:
                return None
            if found is None and not db.execute("select 1 from chunks limit 1").fetchone():
                db.execute("insert or replace into meta values ('layout', ?)", (self._layout,))
                return self._layout  # a new table: filled as chunks are written
        return found[0] if found else None

    def _upgrade(self) -> None:
        """Read every chunk of the store again, into this layout (idempotent: a process that
        opens the table meanwhile adds what it misses when it reconciles)."""
        log.warning(
            "the data dir's lexical table is of an earlier layout: reading the store's chunks"
            " into layout %s, once (about two minutes for 76k chunks)",
            self._layout,
        )
        self.refresh(sorted(self._store.all_ids()))
        with closing(self._connect()) as db, db:
            db.execute("insert or replace into meta values ('layout', ?)", (self._layout,))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._db, timeout=30)
        db.execute("pragma journal_mode=wal")
        return db

    # Writes (ingest) -----------------------------------------------------------------------

    def write(self, written: Sequence[Chunk], deleted: Sequence[str]) -> None:
        """The writer's batch, as it reached the store."""
        self.upsert(LexicalRow.stored(c.id, c.text, chunk_metadata(c), self._read) for c in written)
        self.delete(deleted)

    def upsert(self, rows: Iterable[LexicalRow]) -> None:
        rows = list(rows)
        with closing(self._connect()) as db, db:
            db.executemany(
                "insert or replace into chunks values (?, ?, ?, ?, ?, ?, ?, ?)",
                [r.values() for r in rows],
            )
            _put_heads(db, [(r.chunk_id, r.head) for r in rows if r.head is not None])
            db.executemany(
                "insert or replace into stories values (?, ?)",
                [(r.article_id, r.story) for r in rows if r.story],
            )
            heads = [r for r in rows if r.head is not None]
            db.executemany(
                "delete from story_bands where article_id = ?", [(r.article_id,) for r in heads]
            )
            db.executemany(
                "insert into story_bands values (?, ?)",
                [(key, r.article_id) for r in heads for key in r.bands],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        with closing(self._connect()) as db, db:
            pairs = [(i,) for i in chunk_ids]
            for table in ("stories", "story_bands"):
                db.executemany(
                    f"delete from {table} where article_id in"
                    " (select article_id from articles where first_chunk = ?)",
                    pairs,
                )
            db.executemany("delete from chunks where chunk_id = ?", pairs)
            db.executemany("delete from articles where first_chunk = ?", pairs)

    def chunk_ids(self) -> set[str]:
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("select chunk_id from chunks")}

    def sync(self) -> tuple[int, int]:
        """Bring the table level with the store on opening; returns (added, removed) rows."""
        return self._sync.opened(self)

    def reconcile(self) -> tuple[int, int]:
        """Make the table hold exactly the store's chunks; returns (added, removed)."""
        stored = self._store.all_ids()
        indexed = self.chunk_ids()
        missing, extra = sorted(stored - indexed), sorted(indexed - stored)
        self.refresh(missing)
        self.delete(extra)
        return len(missing), len(extra)

    def refresh(self, chunk_ids: Sequence[str], batch: int = 1000) -> None:
        """Copy these chunks' current state from the store; those it no longer holds go."""
        for start in range(0, len(chunk_ids), batch):
            wanted = chunk_ids[start : start + batch]
            found = self._store.documents(wanted)
            self.upsert(LexicalRow.stored(*row, self._read) for row in found)
            present = {chunk_id for chunk_id, _, _ in found}
            self.delete([chunk_id for chunk_id in wanted if chunk_id not in present])

    def refill(self) -> None:
        """Empty the table, then copy the whole store."""
        with closing(self._connect()) as db, db:
            db.execute("delete from chunks")
            db.execute("delete from articles")
        self.refresh(sorted(self._store.all_ids()))

    def applied_changes(self) -> dict[str, float]:
        with closing(self._connect()) as db:
            return dict(db.execute("select change_id, at from applied_changes").fetchall())

    def mark_applied(self, changes: Sequence[Change]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany(
                "insert or replace into applied_changes values (?, ?)",
                [(c.id, c.at) for c in changes],
            )

    # Reads ---------------------------------------------------------------------------------

    def article_page(
        self, limit: int, offset: int, outlet: str | None = None
    ) -> tuple[int, list[ArticleHead]]:
        """(all matching, this page): newest first, undated last; one outlet (any case) or all."""
        self._catalogue_ready()
        where, args = ("where outlet_key = ?", [outlet.casefold()]) if outlet else ("", [])
        with closing(self._connect()) as db:
            total = db.execute(f"select count(*) from articles {where}", args).fetchone()[0]
            rows = db.execute(
                f"select {_HEAD} from articles {where} "
                "order by published_ts desc, title desc limit ? offset ?",
                [*args, limit, offset],
            ).fetchall()
        return int(total), [_head(row) for row in rows]

    def outlet_counts(self) -> list[OutletCount]:
        """Each outlet's article count and newest publication time."""
        self._catalogue_ready()
        with closing(self._connect()) as db:
            rows = db.execute(
                "select outlet, count(*), (select published_at from articles newest"
                " where newest.outlet = articles.outlet"
                " order by published_ts desc, title desc limit 1)"
                " from articles group by outlet"
            ).fetchall()
        return [OutletCount(outlet, int(n), newest or None) for outlet, n, newest in rows]

    def _catalogue_ready(self) -> None:
        """Level with the store, and filled once for a data dir written before the catalogue
        existed."""
        self._level()
        with closing(self._connect()) as db:
            filled = db.execute("select 1 from meta where key = 'catalogue'").fetchone()
        if filled:
            return
        with closing(self._connect()) as db, db:
            _put_heads(db, self._store.article_heads())
            db.execute("insert or replace into meta values ('catalogue', 'filled')")

    def search(
        self,
        question: str,
        k: int,
        allowed: AllowedFn | None = None,
    ) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) among chunks that ``allowed`` lets through."""
        index = self._current()
        terms = [index.vocab[t] for t in content_terms(question) if t in index.vocab]
        if index.bm25 is None or not terms:
            return []
        scores = index.bm25.scores(terms).astype(np.float64)
        if allowed is not None:
            scores[~allowed(index.published_ts, index.outlet_keys)] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(index.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def bm25_of(self, question: str, chunk_ids: Sequence[str]) -> dict[str, float]:
        """The BM25 score of each of these chunks for ``question`` (0 where no term matches)."""
        index = self._current()
        terms = [index.vocab[t] for t in content_terms(question) if t in index.vocab]
        if index.bm25 is None or not terms:
            return dict.fromkeys(chunk_ids, 0.0)
        scores = index.bm25.scores(terms)
        return {
            chunk_id: float(scores[index.position[chunk_id]]) if chunk_id in index.position else 0.0
            for chunk_id in chunk_ids
        }

    def chunk_facts(
        self, chunk_ids: Sequence[str] = (), article_ids: Sequence[str] = ()
    ) -> list[ChunkFacts]:
        """What a re-ranker reads of chunks: these chunks, and every chunk of these articles,
        each once."""
        self._level()
        clauses, wanted = [], []
        for column, values in (("chunk_id", list(chunk_ids)), ("article_id", list(article_ids))):
            if values:
                clauses.append(f"{column} in ({','.join('?' * len(values))})")
                wanted += values
        if not clauses:
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "select c.chunk_id, c.article_id, c.chunk_index, c.terms, a.title, c.text"
                " from chunks c join articles a using (article_id)"
                f" where {' or '.join('c.' + clause for clause in clauses)}",
                wanted,
            ).fetchall()
        return [
            ChunkFacts(r[0], r[1], int(r[2]), frozenset(r[3].split()), r[4], r[5]) for r in rows
        ]

    def passages(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """The known ones of these chunks, in the order asked."""
        self._level()
        wanted = list(chunk_ids)
        with closing(self._connect()) as db:
            rows = db.execute(
                f"select {_PASSAGE} from {_PASSAGE_FROM}"
                f" where c.chunk_id in ({','.join('?' * len(wanted))})",
                wanted,
            ).fetchall()
        found = {row[0]: _passage(row) for row in rows}
        return [found[chunk_id] for chunk_id in wanted if chunk_id in found]

    def every_passage(self) -> Iterator[Passage]:
        """Every chunk as a passage, article by article in order (eval reads the whole store)."""
        self._level()
        with closing(self._connect()) as db:
            yield from map(
                _passage,
                db.execute(
                    f"select {_PASSAGE} from {_PASSAGE_FROM} order by c.article_id, c.chunk_index"
                ),
            )

    def article_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ArticleChunk]]:
        """Every chunk of each article in order, with the sentences read when it was written."""
        self._level()
        wanted = list(article_ids)
        with closing(self._connect()) as db:
            rows = db.execute(
                f"select {_PASSAGE}, c.sentences from {_PASSAGE_FROM}"
                f" where c.article_id in ({','.join('?' * len(wanted))})"
                " order by c.article_id, c.chunk_index",
                wanted,
            ).fetchall()
        chunks: dict[str, list[ArticleChunk]] = {}
        for row in rows:
            sentences = tuple(
                Sentence(text, tuple(terms.split()), tuple(Name(*n) for n in held))
                for text, terms, held in json.loads(row[-1])
            )
            chunks.setdefault(row[1], []).append(ArticleChunk(_passage(row[:-1]), sentences))
        return chunks

    def story_members(self, stories: Sequence[str]) -> dict[str, list[ArticleHead]]:
        """Every article of each of these wire stories, as the catalogue lists it."""
        wanted = [s for s in dict.fromkeys(stories) if s]
        if not wanted:
            return {}
        with closing(self._connect()) as db:
            rows = db.execute(
                f"select s.story, {', '.join('a.' + c for c in _HEAD.split(', '))}"
                " from stories s join articles a using (article_id)"
                f" where s.story in ({','.join('?' * len(wanted))})",
                wanted,
            ).fetchall()
        members: dict[str, list[ArticleHead]] = {}
        for row in rows:
            members.setdefault(row[0], []).append(_head(row[1:]))
        return members

    def story_candidates(self, keys: Sequence[str]) -> list[tuple[str, str, str]]:
        """(article id, story, its first chunk's id) of each stored article sharing one of
        these LSH band keys: where a copy of a wire story looks for the stories it may join."""
        if not keys:
            return []
        self._level()
        with closing(self._connect()) as db:
            return db.execute(
                "select distinct b.article_id, s.story, a.first_chunk from story_bands b"
                " join stories s using (article_id) join articles a using (article_id)"
                f" where b.key in ({','.join('?' * len(keys))})",
                list(keys),
            ).fetchall()

    def facts(self, chunk_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """(published_ts, outlet key) of each known chunk: enough to filter and rank candidates
        without reading their metadata from Chroma."""
        wanted = list(chunk_ids)
        index = self._current()
        if any(chunk_id not in index.position for chunk_id in wanted):
            # A chunk the vectors know and this index does not: it was just written elsewhere.
            index = self._current(recheck=True)
        found = {}
        for chunk_id in wanted:
            i = index.position.get(chunk_id)
            if i is not None:
                found[chunk_id] = (int(index.published_ts[i]), str(index.outlet_keys[i]))
        return found

    def latest(self, until: int) -> int | None:
        """Publication time of the newest dated chunk published by ``until`` (epoch seconds)."""
        published = self._current().published_ts
        dated = published[(published >= 0) & (published <= until)]
        return int(dated.max()) if len(dated) else None

    def outlets(self) -> frozenset[str]:
        """Every outlet in the index, as ingested (for recognising outlets named in questions)."""
        return self._current().outlets

    def _level(self, recheck: bool = False) -> str:
        """The store's change token, once the table holds what other hosts wrote up to it."""
        token = self._sync.token(recheck)
        if token != self._levelled_for:
            with self._lock:
                if token != self._levelled_for:
                    self._sync.level(self)
                    self._levelled_for = token
        return token

    def _current(self, recheck: bool = False) -> Searchable:
        token = self._level(recheck)
        if self._searchable is not None and token == self._built_for:
            return self._searchable
        with self._lock:
            if self._searchable is None or token != self._built_for:
                self._searchable = self._saved.load(token)
                if self._searchable is None:
                    self._searchable = self._build()
                    self._saved.save(token, self._searchable)
                self._built_for = token
            return self._searchable

    def _build(self) -> Searchable:
        with closing(self._connect()) as db:
            rows = db.execute(
                "select chunk_id, terms, published_ts, outlet from chunks order by chunk_id"
            ).fetchall()
        vocab: dict[str, int] = {}
        corpus = [[vocab.setdefault(t, len(vocab)) for t in row[1].split()] for row in rows]
        bm25 = None
        if rows:
            import bm25s  # only where the matrix is built (with scipy, ~0.25 s to import)

            logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
            built = bm25s.BM25(k1=1.2, b=0.75)
            built.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)
            bm25 = ScoreMatrix.of(built.scores)
        return Searchable(
            ids=[row[0] for row in rows],
            published_ts=np.array([row[2] for row in rows], dtype=np.int64),
            outlet_keys=np.array([row[3].casefold() for row in rows], dtype=np.str_),
            outlets=frozenset(row[3] for row in rows),
            position={row[0]: i for i, row in enumerate(rows)},
            vocab=vocab,
            bm25=bm25,
        )


def _put_heads(db: sqlite3.Connection, heads: Sequence[tuple[str, ArticleHead]]) -> None:
    db.executemany(
        "insert or replace into articles values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (h.id, chunk_id, h.title, h.outlet, h.outlet.casefold(), h.url, h.author,
             h.published_at or "", h.published_ts)
            for chunk_id, h in heads
        ],
    )  # fmt: skip


_PASSAGE = (
    "c.chunk_id, c.article_id, c.text, a.title, a.outlet, a.url, a.published_at, a.published_ts,"
    " coalesce(s.story, c.article_id)"
)
# An article grouped with no other (or stored before stories were) is a story of its own.
_PASSAGE_FROM = "chunks c join articles a using (article_id) left join stories s using (article_id)"


def _passage(row: Sequence[Any]) -> Passage:
    chunk_id, article_id, text, title, outlet, url, published_at, published_ts, story = row
    return Passage(
        chunk_id,
        article_id,
        text,
        title,
        outlet,
        url,
        published_at or None,
        published_ts,
        story=story,
    )


def _head(row: Sequence[Any]) -> ArticleHead:
    article_id, title, outlet, url, author, published_at, published_ts = row
    return ArticleHead(article_id, title, outlet, url, author, published_at or None, published_ts)
