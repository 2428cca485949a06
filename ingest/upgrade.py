"""`byline upgrade`: bring a store written by an earlier release to this release's layout, in
place, without embedding anything again.

Each step names the layout it produces and runs over every chunk, a batch at a time, rewriting
only metadata; the store records the new layout when the step is done, so an interrupted upgrade
is run again and redoes only what it had not reached (a chunk that already carries the step's
field is skipped). Every later change of the store's layout adds a step here.

- 3: every chunk's named entities (``names``), read by the same tagger ingest uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
    steps = {3: _with_names(tagger)}
    with store.sync.writing():
        for layout in sorted(steps):
            if layout <= store.layout():
                continue
            ids = sorted(store.all_ids())
            for start in range(0, len(ids), BATCH):
                part = ids[start : start + BATCH]
                chunks = {i: (text, meta) for i, text, meta in store.documents(part)}
                rewritten = steps[layout](chunks)
                if rewritten:
                    with store.announcing(list(rewritten)):
                        store.rewrite_metadata(rewritten)
                        store.sync.rewrote(lexical, list(rewritten))
                done.read += len(chunks)
                done.rewritten += len(rewritten)
                if progress is not None:
                    progress(len(chunks))
            store.record_layout(layout)
    return done
