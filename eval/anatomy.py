"""Where the answer is when retrieval misses it (``byline eval retrieval --anatomy``).

Each question whose gold is not in the top 10 gets one cause, the first that applies:

- ``absent``: the gold is in no passage of the store (nor across two passages of an article);
- ``split by chunking``: it is in an article's text only across two of its passages;
- ``only after as-of``: only articles published after the question's as-of time hold it;
- ``not in pool``: neither the vectors' nor the words' candidates hold a passage with it;
- ``pool below 10``: a passage with it is among the candidates, ranked below 10 by fusion and
  the priors (split by how far below: 11-20, 21-40, 41+);
- ``dedup or article cap``: fusion ranked it in the first 10, and collapsing near-duplicates or
  the per-article cap pushed it out.

For the misses it also tells how old the nearest gold passage was at as-of (the recency
prior's reach is its scale, 14 days by default).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tqdm import tqdm

from eval.questions import EvalQuestion
from rag.adapters.store import UNDATED
from rag.domain.folding import phrase_form
from rag.domain.models import Passage
from rag.retrieval.retriever import DAY, Query, Retriever, day_end

CAUSES = (
    "found in top 10",
    "absent",
    "split by chunking",
    "only after as-of",
    "not in pool",
    "pool below 10 (11-20)",
    "pool below 10 (21-40)",
    "pool below 10 (41+)",
    "dedup or article cap",
)


@dataclass(frozen=True)
class GoldChunk:
    chunk_id: str
    published_ts: int


@dataclass
class Anatomy:
    n: int
    causes: dict[str, int]
    # Misses whose gold passage is in the store before as-of: age (days) of the newest one.
    miss_age_days: dict[str, float] = field(default_factory=dict)
    per_question: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"n": self.n, "causes": self.causes, "miss_age_days": self.miss_age_days}


def gold_chunks(
    questions: list[EvalQuestion], passages: Iterable[Passage]
) -> tuple[dict[str, list[GoldChunk]], set[str]]:
    """Per question, the passages (headline and text) holding its gold; and the questions whose
    gold is only across two passages of one article."""
    needles = {q.id: [n for a in q.answers if (n := phrase_form(a)).strip()] for q in questions}
    found: dict[str, list[GoldChunk]] = {q.id: [] for q in questions}
    split: set[str] = set()
    previous: Passage | None = None
    for passage in passages:
        text = phrase_form(f"{passage.title}\n{passage.text}")
        joined = ""
        if previous is not None and previous.article_id == passage.article_id:
            joined = phrase_form(f"{previous.text}\n{passage.text}")
        for question_id, wanted in needles.items():
            if any(n in text for n in wanted):
                found[question_id].append(GoldChunk(passage.chunk_id, passage.published_ts))
            elif joined and any(n in joined for n in wanted):
                split.add(question_id)
        previous = passage
    return found, split


def run_anatomy(
    retriever: Retriever,
    questions: list[EvalQuestion],
    passages: Iterable[Passage],
    ranks: dict[str, int | None],
    progress: bool = True,
) -> Anatomy:
    """``ranks``: each question's rank of the first gold passage in the top k (None: missed)."""
    gold, split = gold_chunks(questions, passages)
    causes: Counter[str] = Counter()
    ages: list[float] = []
    rows: list[dict[str, object]] = []
    for question in tqdm(
        questions, unit=" questions", disable=None if progress else True, leave=False
    ):
        as_of = day_end(question.as_of) if question.as_of else None
        rank = ranks.get(question.id)
        cause, age = _cause(retriever, question, as_of, rank, gold[question.id], split)
        causes[cause] += 1
        if age is not None:
            ages.append(age)
        rows.append({"id": question.id, "cause": cause, "age_days": age})
    miss_age = {}
    if ages:
        quartiles = statistics.quantiles(ages, n=4) if len(ages) > 1 else [ages[0]] * 3
        miss_age = {"p25": quartiles[0], "median": quartiles[1], "p75": quartiles[2]}
        miss_age["share_over_14"] = round(sum(a > 14 for a in ages) / len(ages), 3)
    return Anatomy(len(questions), {c: causes[c] for c in CAUSES}, miss_age, rows)


def _cause(
    retriever: Retriever,
    question: EvalQuestion,
    as_of: datetime | None,
    rank: int | None,
    gold: list[GoldChunk],
    split: set[str],
) -> tuple[str, float | None]:
    if rank is not None and rank <= 10:
        return "found in top 10", None
    if not gold:
        return ("split by chunking" if question.id in split else "absent"), None
    latest = int(as_of.timestamp()) if as_of else None
    before = [g for g in gold if latest is None or g.published_ts <= latest]
    if not before:
        return "only after as-of", None
    dated = [g.published_ts for g in before if g.published_ts != UNDATED]
    age = round((latest - max(dated)) / DAY, 1) if dated and latest is not None else None
    query = Query.bounded(question.question, 10, as_of=question.as_of)
    order = retriever.ranking(query, as_of or day_end(datetime.now().date())).order
    position = {chunk_id: i for i, chunk_id in enumerate(order, start=1)}
    best = min((position[g.chunk_id] for g in before if g.chunk_id in position), default=None)
    if best is None:
        return "not in pool", age
    if best <= 10:
        return "dedup or article cap", age
    band = "11-20" if best <= 20 else "21-40" if best <= 40 else "41+"
    return f"pool below 10 ({band})", age


def format_anatomy(anatomy: Anatomy) -> str:
    lines = [f"where the gold is, {anatomy.n} questions:"]
    for cause, count in anatomy.causes.items():
        lines.append(f"  {cause:<24} {count:>5}  {count / max(1, anatomy.n):.3f}")
    if anatomy.miss_age_days:
        age = anatomy.miss_age_days
        lines.append(
            f"  misses' newest gold passage before as-of, age in days: p25 {age['p25']:.1f}"
            f"  median {age['median']:.1f}  p75 {age['p75']:.1f}"
            f"  older than 14 days {age['share_over_14']:.3f}"
        )
    return "\n".join(lines)
