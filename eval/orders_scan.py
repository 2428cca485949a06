"""How often the untrusted-text guard's "order to the reader" class fires on ordinary news: its
false positives, counted sentence by sentence over an article file.

    .venv/bin/python -m eval.orders_scan ../shared/datasets/realtimeqa-train/articles.jsonl.gz
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from pathlib import Path

from rag.answering.untrusted import INSTRUCTIONS
from rag.domain.folding import pattern_form
from rag.domain.text import split_sentences

SHOWN = 40  # flagged sentences printed, drawn at random (seeded)


def main(path: Path) -> None:
    order = re.compile(INSTRUCTIONS["order to the reader"], re.M)
    opener = gzip.open if path.suffix == ".gz" else open
    articles = sentences = 0
    flagged: list[str] = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            articles += 1
            for sentence in split_sentences(json.loads(line)["text"]):
                sentences += 1
                if order.search(pattern_form(sentence)):
                    flagged.append(sentence[:200])
    share = len(flagged) / max(1, sentences)
    print(f"{articles} articles, {sentences} sentences, {len(flagged)} flagged ({share:.4%})")
    for sentence in random.Random(0).sample(flagged, min(SHOWN, len(flagged))):
        print(f"- {sentence}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
