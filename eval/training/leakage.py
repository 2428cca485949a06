"""What training must never see: the 2023 benchmark's articles and questions.

Byline is judged on RealTime QA 2023; a model that had read those articles or questions would
be judged on its own training data. Some training-year questions' search results are the same
pages (or the same text at another address), and 1,296 training articles are dated in 2023.
A training article is refused when its record id, its address (as ingest identifies an
article: the canonical URL) or its folded body is the 2023 corpus's, or when it is dated in
2023; a training question is refused when it is a 2023 question or of the year 2023.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.domain.folding import phrase_form
from rag.domain.models import canonical_url, stable_hash

JUDGED_YEAR = 2023


def _body_key(text: str) -> str:
    return stable_hash(phrase_form(text))


def _address(record: dict[str, Any]) -> str | None:
    """The record's address as ingest identifies an article (its canonical URL), if any."""
    url = str(record.get("url") or record.get("link") or "").strip()
    return canonical_url(url) if url else None


@dataclass(frozen=True)
class JudgedYear:
    """The judged year's article ids, addresses and bodies, and its questions."""

    record_ids: frozenset[str]
    addresses: frozenset[str]
    bodies: frozenset[str]
    questions: frozenset[str]

    @classmethod
    def load(cls, corpus: Path, questions: Iterable[Path]) -> JudgedYear:
        record_ids, addresses, bodies = set(), set(), set()
        with gzip.open(corpus, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                record_ids.add(str(record.get("id", "")))
                bodies.add(_body_key(str(record.get("text") or record.get("body") or "")))
                address = _address(record)
                if address:
                    addresses.add(address)
        asked = set()
        for path in questions:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    asked.update({str(record["id"]), phrase_form(str(record["question"]))})
        return cls(frozenset(record_ids), frozenset(addresses), frozenset(bodies), frozenset(asked))

    def refuses_article(self, record: dict[str, Any]) -> bool:
        published = str(record.get("published_at") or record.get("date") or "")
        return (
            str(record.get("id", "")) in self.record_ids
            or published.startswith(str(JUDGED_YEAR))
            or _body_key(str(record.get("text") or record.get("body") or "")) in self.bodies
            or _address(record) in self.addresses
        )

    def refuses_question(self, record: dict[str, Any]) -> bool:
        return (
            record.get("year") == JUDGED_YEAR
            or str(record.get("question_date", "")).startswith(str(JUDGED_YEAR))
            or str(record.get("id")) in self.questions
            or phrase_form(str(record.get("question", ""))) in self.questions
        )
