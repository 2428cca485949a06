"""`byline upgrade`: bring a store written by an earlier release to this release's layout, in
place, without embedding anything again.

Each step names the layout it produces and runs over every chunk, a batch at a time, rewriting
only metadata; the store records the new layout when the step is done, so an interrupted upgrade
is run again and redoes only what it had not reached (a chunk that already carries the step's
field is skipped). Every later change of the store's layout adds a step here.

- 3: every chunk's named entities (``names``), read by the same tagger ingest uses.
- 4: every chunk's wire story (``story``) and each article's signature (``minhash``), grouped
  by the same index ingest uses, the articles taken in order of publication (so that a story's
  id is its earliest copy's). It holds every chunk's text while it groups: about 0.1 GB for the
  whole RealTime QA 2023 store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest import stories
from rag.adapters.lexical import LexicalIndex
from rag.adapters.name_tagger import NameTagger
from rag.adapters.store import LAYOUT, ChromaStore
from rag.domain import names

BATCH = 512


@dataclass
class Upgraded:
    before: int
    after: int
    rewritten: int = 0  # chunks whose metadata a step rewrote
    read: int = 0

    def line(self) -> str:
        if self.before == self.after:
            return f"the store is in layout {self.after}, this release's: nothing to do"
        return (
            f"layout {self.before} → {self.after} · chunks read {self.read}"
            f" · chunks rewritten {self.rewritten}"
        )


Meta = dict[str, Any]


def _with_names(tagger: NameTagger) -> Callable[[Mapping[str, tuple[str, Meta]]], dict[str, Meta]]:
    def step(chunks: Mapping[str, tuple[str, Meta]]) -> dict[str, Meta]:
        untagged = [
            i for i, (_, meta) in chunks.items() if names.decode(meta.get(names.FIELD)) is None
        ]
        tagged = tagger.tag([chunks[i][0] for i in untagged])
        return {
            i: {**chunks[i][1], names.FIELD: names.encode(spans)}
            for i, spans in zip(untagged, tagged, strict=True)
        }

    return step


Step = Callable[[ChromaStore, LexicalIndex, Upgraded, Callable[[int], None] | None], None]


def upgrade(
    store: ChromaStore,
    lexical: LexicalIndex,
    tagger: NameTagger,
    progress: Callable[[int], None] | None = None,
) -> Upgraded:
    """Run every step from the store's layout to this release's; ``progress`` hears how many
    chunks each batch read."""
    before = store.layout()
    done = Upgraded(before, max(before, LAYOUT))
    steps: dict[int, Step] = {3: _batched(_with_names(tagger)), 4: _group_stories}
    with store.sync.writing():
        for layout in sorted(steps):
            if layout <= store.layout():
                continue
            steps[layout](store, lexical, done, progress)
            store.record_layout(layout)
    return done


def _batched(rewrite: Callable[[Mapping[str, tuple[str, Meta]]], dict[str, Meta]]) -> Step:
    """A step that reads the chunks a batch at a time and rewrites what ``rewrite`` returns."""

    def step(
        store: ChromaStore,
        lexical: LexicalIndex,
        done: Upgraded,
        progress: Callable[[int], None] | None,
    ) -> None:
        ids = sorted(store.all_ids())
        for start in range(0, len(ids), BATCH):
            chunks = {
                i: (text, meta) for i, text, meta in store.documents(ids[start : start + BATCH])
            }
            _rewrite(store, lexical, done, rewrite(chunks))
            done.read += len(chunks)
            if progress is not None:
                progress(len(chunks))

    return step


def _group_stories(
    store: ChromaStore,
    lexical: LexicalIndex,
    done: Upgraded,
    progress: Callable[[int], None] | None,
) -> None:
    texts: dict[str, dict[int, str]] = {}
    metas: dict[str, dict[str, Meta]] = {}
    ids = sorted(store.all_ids())
    for start in range(0, len(ids), BATCH):
        part = store.documents(ids[start : start + BATCH])
        for chunk_id, text, meta in part:
            article = str(meta["article_id"])
            texts.setdefault(article, {})[int(meta.get("chunk_index", 0))] = text
            metas.setdefault(article, {})[chunk_id] = meta
        done.read += len(part)
        if progress is not None:
            progress(len(part))
    index = stories.StoryIndex()
    ungrouped = []
    for article, chunks in metas.items():
        grouped = [m for m in chunks.values() if m.get(stories.FIELD)]
        first = next((m for m in chunks.values() if m.get("chunk_index") == 0), None)
        if grouped and first is not None and first.get(stories.SIGNATURE_FIELD) is not None:
            signed = stories.decode(first.get(stories.SIGNATURE_FIELD))
            index.known(article, str(grouped[0][stories.FIELD]), signed)
        else:
            ungrouped.append(article)

    def published(article: str) -> tuple[int, int, str]:
        ts = int(next(iter(metas[article].values())).get("published_ts", -1))
        return (ts < 0, ts, article)  # dated first, oldest first; undated last

    rewritten: dict[str, Meta] = {}
    for article in sorted(ungrouped, key=published):
        hashed = stories.signature(texts[article][i] for i in sorted(texts[article]))
        story = index.assign(article, hashed)
        first = {
            stories.SIGNATURE_FIELD: stories.encode(hashed) if hashed is not None else "",
            stories.BANDS_FIELD: stories.band_keys(hashed) if hashed is not None else "",
        }
        for chunk_id, meta in metas[article].items():
            extra = first if meta.get("chunk_index") == 0 else {}
            rewritten[chunk_id] = {**meta, stories.FIELD: story, **extra}
        if len(rewritten) >= BATCH:
            _rewrite(store, lexical, done, rewritten)
            rewritten = {}
    _rewrite(store, lexical, done, rewritten)


def _rewrite(
    store: ChromaStore, lexical: LexicalIndex, done: Upgraded, rewritten: Mapping[str, Meta]
) -> None:
    if rewritten:
        with store.announcing(list(rewritten)):
            store.rewrite_metadata(rewritten)
            store.sync.rewrote(lexical, list(rewritten))
    done.rewritten += len(rewritten)
