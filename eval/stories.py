"""`byline eval stories`: how well ingest groups copies of one wire story, on a set built from
real articles.

The set: articles of the training corpus dated 2024 (never 2023), each at least 300 words, a
seeded sample. Each gives one positive pair: the article and a wire copy of it edited as wire
copies are (a new headline, the lead paragraph cut to its first sentence behind a dateline, one
or two sentences cut from the middle, the last paragraphs dropped, a wire service's tagline
added), and one negative pair: the article and the other 2024 article on the nearest topic
(highest TF-IDF cosine of their bodies, within a week of it), a different story on the same
news. Pairs whose two real articles share over half their shingles are left out of the negatives
(they may be real copies; how many is printed). The articles are split once into two halves
by a hash of their id: the threshold is chosen on the choosing half (best F1, the higher
threshold on a tie) and precision and recall are reported on the reporting half.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.stories import StoryIndex, signature
from rag.domain.text import split_sentences

YEAR = "2024"
MIN_WORDS = 300
SAMPLE = 600
SEED = 20241
SPLIT_SEED = "stories-halves"
GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
LIKELY_COPY = 0.5
NEIGHBOUR_DAYS = 7
TAGLINE = (
    "Copyright 2024 The Associated Press. All rights reserved. This material may not be"
    " published, broadcast, rewritten or redistributed."
)


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    body: str
    day: int  # days since the epoch

    @property
    def half(self) -> str:
        digest = hashlib.sha256(f"{SPLIT_SEED}:{self.id}".encode()).digest()
        return "choosing" if digest[0] % 2 == 0 else "reporting"


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    same: bool
    half: str


def load_stories(path: Path) -> list[Story]:
    stories = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            published = row.get("published_at") or ""
            body = row.get("text") or ""
            if not published.startswith(YEAR) or len(body.split()) < MIN_WORDS:
                continue
            day = datetime.fromisoformat(published[:10]).toordinal()
            stories.append(Story(str(row["id"]), row.get("title") or "", body, day))
    return stories


def wire_copy(story: Story, rng: random.Random) -> str:
    """The story as another outlet runs it from the wire."""
    paragraphs = [p for p in story.body.split("\n") if p.strip()]
    lead = split_sentences(paragraphs[0])
    paragraphs[0] = "NEW YORK (AP) — " + (lead[0] if lead else paragraphs[0])
    if len(paragraphs) > 4:
        paragraphs = paragraphs[: len(paragraphs) - rng.randint(0, 2)]
    sentences = [split_sentences(p) for p in paragraphs]
    cuts = rng.randint(1, 2)
    for _ in range(cuts):
        middle = [i for i in range(1, len(sentences)) if sentences[i]]
        if middle:
            chosen = rng.choice(middle)
            sentences[chosen].pop(rng.randrange(len(sentences[chosen])))
    return "\n".join(" ".join(s) for s in sentences if s) + "\n" + TAGLINE


def nearest_topics(stories: list[Story], sample: list[Story]) -> dict[str, tuple[Story, float]]:
    """Each sampled story's nearest other story by TF-IDF cosine, within a week."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(stop_words="english", min_df=2).fit_transform(
        [s.body for s in stories]
    )
    position = {s.id: i for i, s in enumerate(stories)}
    found: dict[str, tuple[Story, float]] = {}
    for story in sample:
        row = vectors[position[story.id]]
        cosines = (vectors @ row.T).toarray().ravel()
        best, best_cosine = None, -1.0
        for i, cosine in enumerate(cosines):
            other = stories[i]
            if other.id == story.id or abs(other.day - story.day) > NEIGHBOUR_DAYS:
                continue
            if cosine > best_cosine:
                best, best_cosine = other, float(cosine)
        if best is not None:
            found[story.id] = (best, best_cosine)
    return found


def same_story(first: str, second: str, threshold: float) -> bool:
    """Whether ingest puts ``second`` in the story of ``first`` (stored first)."""
    index = StoryIndex(threshold)
    index.known("first", "first", signature([first]))
    return index.assign("second", signature([second])) == "first"


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    positives: int
    negatives: int


def scores(pairs: list[Pair], texts: dict[str, str], threshold: float) -> Scores:
    tp = fp = fn = 0
    for pair in pairs:
        said = same_story(texts[pair.first], texts[pair.second], threshold)
        tp += said and pair.same
        fp += said and not pair.same
        fn += pair.same and not said
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    positives = sum(p.same for p in pairs)
    return Scores(precision, recall, f1, positives, len(pairs) - positives)


@dataclass(frozen=True)
class Report:
    articles: int
    likely_real_copies: int
    chosen: float
    choosing: dict[float, Scores]
    reporting: Scores
    all: Scores


def run_stories_eval(articles: Path) -> Report:
    stories = load_stories(articles)
    rng = random.Random(SEED)
    sample = rng.sample(stories, min(SAMPLE, len(stories)))
    neighbours = nearest_topics(stories, sample)
    texts = {s.id: s.body for s in stories}
    pairs: list[Pair] = []
    likely_copies = 0
    for story in sample:
        texts[f"copy:{story.id}"] = wire_copy(story, rng)
        pairs.append(Pair(story.id, f"copy:{story.id}", True, story.half))
        if story.id in neighbours:
            other, _ = neighbours[story.id]
            if _jaccard(story.body, other.body) > LIKELY_COPY:
                likely_copies += 1
                continue
            pairs.append(Pair(story.id, other.id, False, story.half))
    choosing = [p for p in pairs if p.half == "choosing"]
    reporting = [p for p in pairs if p.half == "reporting"]
    by_threshold = {t: scores(choosing, texts, t) for t in GRID}
    chosen = max(GRID, key=lambda t: (by_threshold[t].f1, t))
    return Report(
        len(sample),
        likely_copies,
        chosen,
        by_threshold,
        scores(reporting, texts, chosen),
        scores(pairs, texts, chosen),
    )


def _jaccard(first: str, second: str) -> float:
    a, b = signature([first]), signature([second])
    return float(a.jaccard(b)) if a is not None and b is not None else 0.0


def format_stories(report: Report) -> str:
    lines = [
        f"{report.articles} articles of {YEAR}; {report.likely_real_copies} nearest-topic pairs"
        f" left out as likely real copies (over {LIKELY_COPY} shingle Jaccard)",
        "choosing half: threshold → precision, recall, F1",
    ]
    for threshold, s in report.choosing.items():
        mark = "  ← chosen" if threshold == report.chosen else ""
        lines.append(f"  {threshold:.1f}  {s.precision:.3f}  {s.recall:.3f}  {s.f1:.3f}{mark}")
    for name, s in (("reporting half", report.reporting), ("all", report.all)):
        lines.append(
            f"{name} at {report.chosen:.1f}: precision {s.precision:.3f} · recall {s.recall:.3f}"
            f" · F1 {s.f1:.3f} ({s.positives} copy pairs, {s.negatives} same-topic pairs)"
        )
    return "\n".join(lines)
