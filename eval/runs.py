"""``byline eval run``: every question through the ask service, into one run file.

In process, each question is asked exactly as ``POST /ask`` asks it (configured ``top_k``), and
retrieval is also read 20 deep for recall@k; with ``--url`` the questions go to a running server
(``/ask`` with ``include_passages``), so recall@k is measured only as deep as its ``top_k``.
The run file (JSON, under ``runs/``) holds the configuration (settings without secrets, model,
prompt versions, git commit), per question the retrieved passages, the answer, its citations,
timings and scores, and the totals.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

import httpx
from tqdm import tqdm

from eval import metrics
from eval.common import p50_p95
from eval.metrics import first_rank
from eval.questions import EvalQuestion
from rag.answering.followup import Turn
from rag.answering.prompts import load_prompt
from rag.answering.service import AskService
from rag.answering.short_answer import without_short_answer
from rag.domain.folding import phrase_form
from rag.domain.models import Answer, Citation, Passage
from rag.retrieval.retriever import Query, Retriever
from rag.settings import Settings

DEPTH = max(metrics.RECALL_KS)
QUALITY = (
    "recall@1",
    "recall@5",
    "recall@10",
    "recall@20",
    "mrr",
    "hits@4",
    "hits@10",
    "map@10",
    "accuracy",
    "answered",
    "accuracy_answered",
    "first_sentence_accuracy",
    "short_answer_accuracy",
    "citation_precision",
    "citation_recall",
    "outlet_attribution",
    "decline_accuracy",
    "decline_recall",
    "decline_precision",
    "decline_recall_absent",
)
Score = float | int | None  # a metric (None: it does not apply), or a rank


class PassageRow(TypedDict):
    rank: int
    chunk_id: str
    title: str
    outlet: str
    published_at: str | None
    holds_gold: bool


class QuestionRow(TypedDict):
    """One question of a run: what was retrieved and answered, and every metric that applies."""

    id: str
    question: str
    kind: str
    answerable: bool
    gold: list[str]
    searched: str  # the question as retrieval read it (a follow-up rewritten)
    passages: list[PassageRow]
    answer: str
    answerer: str
    declined: bool
    citations: list[dict[str, Any]]
    retrieval_ms: float
    answer_ms: float
    confidence: float | None  # the extractive answerer's, declined or not
    short_answer: str | None  # the span that leads the answer, when one is shown
    scores: dict[str, Score]


class RunFile(TypedDict):
    config: dict[str, Any]  # settings without secrets, model, prompts, git commit
    totals: dict[str, Score]
    questions: list[QuestionRow]


# An asker answers one question and says how deep its retrieval list was asked to go.
Asker = Callable[[EvalQuestion], tuple[Answer, list[Passage], int]]


@dataclass(frozen=True)
class RunSetup:
    name: str
    dataset: str
    questions: str
    corpus: list[str]
    url: str | None
    time_shifted: int | None = None  # days: the questions again, as unanswerable (time_shifted)
    year: int | None = None  # only this training year's questions (realtimeqa-train)


def configuration(setup: RunSetup, settings: Settings, model: str) -> dict[str, Any]:
    """What a run ran with; no path of the machine it ran on (a kept run file is read in any
    clone): paths inside the working directory or the home directory are relative to it, and
    the temporary store a corpus was ingested into is named as such."""
    values = settings.flat()
    for name, value in values.items():
        if isinstance(value, str) and Path(value).is_absolute():
            values[name] = portable_path(Path(value))
    if setup.corpus and not setup.url:
        values["data_dir"] = "(a temporary store of the corpus)"
    return {
        **asdict(setup),
        "settings": values,
        "llm": settings.llm.model or None,
        "embedding_model": model,
        "prompts": [load_prompt("answer").label, load_prompt("condense").label],
        "git_commit": _git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def portable_path(path: Path) -> str:
    """Relative to the working directory when inside it (so a kept run file works in any
    clone), else to the home directory (``~/...``), else as it is."""
    resolved = path.resolve()
    for base, prefix in ((Path.cwd().resolve(), ""), (Path.home().resolve(), "~/")):
        if resolved.is_relative_to(base):
            return prefix + str(resolved.relative_to(base))
    return str(resolved)


def execute(questions: list[EvalQuestion], ask: Asker, progress: bool) -> list[QuestionRow]:
    rows = []
    # disable=None: a bar on a terminal, none in CI logs.
    for question in tqdm(
        questions, unit=" questions", disable=None if progress else True, leave=False
    ):
        answer, deep, depth = ask(question)
        rows.append(score_question(question, answer, deep, depth))
    return rows


def mark_absent(rows: list[QuestionRow], corpus: Iterable[str]) -> None:
    """``decline_recall_absent`` on each answerable row whose gold is in no text of the corpus:
    whether it was declined (nothing in the store could have answered it)."""
    folded = "\n".join(phrase_form(text) for text in corpus)
    for row in rows:
        gold = [phrase_form(g) for g in row["gold"] if phrase_form(g).strip()]
        if row["answerable"] and gold and not any(g in folded for g in gold):
            row["scores"]["decline_recall_absent"] = float(row["declined"])


def score_question(
    question: EvalQuestion, answer: Answer, deep: list[Passage], depth: int = DEPTH
) -> QuestionRow:
    """One run-file row: what was retrieved and answered, and every metric that applies."""
    texts = [f"{p.title}\n{p.text}" for p in deep]
    scores: dict[str, Score] = {}
    if question.answers:
        rank = first_rank(texts, question.answers)
        scores["rank"] = rank
        for k in metrics.RECALL_KS:
            found = rank is not None and rank <= k
            scores[f"recall@{k}"] = float(found) if k <= depth or found else None
        scores["mrr"] = 1 / rank if rank else 0.0
    if question.evidence:
        relevant = metrics.evidence_relevance(texts, question.evidence)
        for k in metrics.HITS_KS:
            scores[f"hits@{k}"] = metrics.hits_at(relevant, k)
        scores["map@10"] = metrics.average_precision_at_10(relevant, len(question.evidence))
    if question.answerable:
        scores["accuracy"] = float(metrics.answer_correct(answer.text, answer.declined, question))
        scores["answered"] = float(not answer.declined)
        scores["accuracy_answered"] = None if answer.declined else scores["accuracy"]
        first = metrics.first_sentence(answer_sentences(answer))
        scores["first_sentence_accuracy"] = float(
            metrics.answer_correct(first, answer.declined, question)
        )
        # The short answer alone: it names the gold and no other choice.
        short = answer.short_answer
        scores["short_answer_accuracy"] = float(
            metrics.answer_correct(short or "", answer.declined or short is None, question)
        )
    quotes = {c.n: c.quote for c in answer.citations}
    if not answer.declined:
        precision, recall = metrics.citation_scores(answer_sentences(answer), quotes)
        scores["citation_precision"], scores["citation_recall"] = precision, recall
    scores["outlet_attribution"] = metrics.outlet_attribution(
        [c.outlet for c in answer.citations], question.expected_outlets
    )
    scores["decline_accuracy"] = float(answer.declined != question.answerable)
    # Means over the questions each applies to: declines among the unanswerable (recall), the
    # unanswerable among the declines (precision).
    scores["decline_recall"] = None if question.answerable else float(answer.declined)
    scores["decline_precision"] = float(not question.answerable) if answer.declined else None
    scores["latency_ms"] = round(answer.retrieval_ms + answer.answer_ms, 1)
    return {
        "id": question.id,
        "question": question.question,
        "kind": question.kind,
        "answerable": question.answerable,
        "gold": list(question.answers),
        "searched": answer.question,
        "passages": [_passage(p, question) for p in deep],
        "answer": answer.text,
        "answerer": answer.label,
        "declined": answer.declined,
        "citations": [asdict(c) for c in answer.citations],
        "retrieval_ms": answer.retrieval_ms,
        "answer_ms": answer.answer_ms,
        "confidence": answer.confidence,
        "short_answer": answer.short_answer,
        "scores": scores,
    }


def answer_sentences(answer: Answer) -> str:
    """The answer's quoted sentences, without the short answer that leads them (it is scored
    on its own)."""
    return without_short_answer(answer.text) if answer.short_answer else answer.text


def totals(rows: list[QuestionRow]) -> dict[str, Score]:
    """Mean of each metric over the questions it applies to; latency p50/p95."""
    result: dict[str, Score] = {"questions": len(rows)}
    for name in QUALITY:
        values = [v for r in rows if (v := r["scores"].get(name)) is not None]
        result[name] = round(statistics.fmean(values), 4) if values else None
    latencies = [float(v) for r in rows if (v := r["scores"]["latency_ms"]) is not None]
    p50, p95 = p50_p95(latencies) if latencies else (None, None)
    result["latency_p50_ms"], result["latency_p95_ms"] = p50, p95
    return result


def in_process(service: AskService, retriever: Retriever, top_k: int) -> Asker:
    service.ask(Query("warm-up", 1))  # lazy loads (BM25 matrix, model kernels) stay out of timings

    def ask(question: EvalQuestion) -> tuple[Answer, list[Passage], int]:
        query = Query.bounded(question.question, top_k, as_of=question.as_of)
        answer = conversation(service, question, query)
        deep = retriever.retrieve(replace(query, question=answer.question, top_k=DEPTH)).passages
        return answer, deep, DEPTH

    return ask


def conversation(service: AskService, question: EvalQuestion, query: Query) -> Answer:
    """The question's answer; a follow-up's after the questions before it, in one history."""
    history: list[Turn] = []
    for earlier in question.after:
        said = service.ask(replace(query, question=earlier), history)
        history += [Turn("user", earlier), Turn("assistant", said.text)]
    return service.ask(query, history)


def over_http(url: str, timeout_s: float = 120) -> Asker:
    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s)

    def post(question: str, as_of: str | None, history: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question, "include_passages": True}
        if as_of:
            body["as_of"] = as_of
        if history:
            body["history"] = history
        response = client.post("/ask", json=body)
        response.raise_for_status()
        return cast(dict[str, Any], response.json())

    def ask(question: EvalQuestion) -> tuple[Answer, list[Passage], int]:
        as_of = question.as_of.isoformat() if question.as_of else None
        history: list[dict[str, str]] = []
        for earlier in question.after:
            said = post(earlier, as_of, history)["answer"]
            history += [
                {"role": "user", "content": earlier},
                {"role": "assistant", "content": said},
            ]
        data = post(question.question, as_of, history)
        passages = [Passage(**p) for p in data.pop("passages") or []]
        citations = [Citation(**c) for c in data.pop("citations")]
        answerer, reason = Answer.parse_label(data["answerer"])
        answer = Answer(
            text=data["answer"],
            citations=citations,
            declined=data["declined"],
            answerer=answerer,
            reason=reason,
            question=data["question"],
            passages=passages,
            retrieval_ms=data["retrieval_ms"],
            answer_ms=data["answer_ms"],
            confidence=data.get("confidence"),
            short_answer=data.get("short_answer"),
        )
        return answer, passages, len(passages)

    return ask


def save_run(path: Path, config: dict[str, Any], rows: list[QuestionRow]) -> RunFile:
    run = RunFile(config=config, totals=totals(rows), questions=rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    return run


def load_run(path: Path) -> RunFile:
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a run file ({exc})") from exc
    if not {"config", "totals", "questions"} <= run.keys():
        raise ValueError(f"{path}: not a run file (needs config, totals and questions)")
    return cast(RunFile, run)


def _passage(passage: Passage, question: EvalQuestion) -> PassageRow:
    text = f"{passage.title}\n{passage.text}"
    return PassageRow(
        rank=passage.rank,
        chunk_id=passage.chunk_id,
        title=passage.title,
        outlet=passage.outlet,
        published_at=passage.published_at,
        holds_gold=bool(question.answers) and first_rank([text], question.answers) == 1,
    )


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def timed_name(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
