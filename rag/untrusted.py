"""Article text is untrusted: it is quoted to models, never obeyed, and never smuggles links out.

Invisible and control characters are already stripped at ingest (``rag.text.normalize_text``).
Here: delimiting passages for a prompt so that an article cannot close its own quotation,
recognising sentences written as instructions to a model, and removing from answers the
markdown images and links (and bare URLs) that point anywhere but the cited articles' hosts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from rag.models import Passage
from rag.text import split_sentences

_DELIMITER = re.compile(r"<\s*(/?)\s*(passages?|conversation)\b", re.I)
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,40}\b(?:instructions?|prompts?|rules)\b"
    r"|^\W*(?:system|assistant|developer)\s*:"
    r"|\byou are now\b|\bnew instructions?\b|\bsystem prompt\b",
    re.I,
)
# A line that speaks as a chat role ("SYSTEM: ...") is an instruction, all of it.
_ROLE_LINE = re.compile(r"^[ \t*#>_-]*(?:system|assistant|developer|user)\s*:.*$", re.I | re.M)
_LINKISH = re.compile(
    r"!\[[^\]]*\]\([^)]*\)"  # markdown image
    r"|\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)"  # markdown link
    r"|<img\b[^>]*>|</?a\b[^>]*>"  # HTML image and anchor tags
    r"|(?P<bare>\b(?:https?://|www\.)[^\s<>()\[\]]+)",  # bare URL
    re.I,
)


def quoted(text: str) -> str:
    """Text safe inside ``<passage>``/``<conversation>`` delimiters: it cannot close them."""
    return _DELIMITER.sub(lambda m: f"‹{m[1]}{m[2]}", text)


def instruction_free(text: str) -> str:
    """Article text without role lines and sentences addressed to a model: what answers may
    quote, what supports a claim, and what the model is shown."""
    kept = [s for s in split_sentences(_ROLE_LINE.sub("", text)) if not looks_like_injection(s)]
    return "\n".join(kept)


def looks_like_injection(sentence: str) -> bool:
    """A sentence addressed to a model ("Ignore previous instructions", "SYSTEM: ...")."""
    return bool(_INJECTION.search(sentence))


def host_of(url: str) -> str:
    return urlsplit(url if "//" in url else f"//{url}").netloc.lower().removeprefix("www.")


def cited_hosts(passages: Iterable[Passage]) -> frozenset[str]:
    return frozenset(h for p in passages if p.url and (h := host_of(p.url)))


def without_foreign_links(text: str, allowed_hosts: frozenset[str]) -> str:
    """Images removed; links and bare URLs kept only when they point at an allowed host."""

    def replace(match: re.Match[str]) -> str:
        if match["url"] is not None:
            return match[0] if host_of(match["url"]) in allowed_hosts else match["text"]
        if match["bare"] is not None:
            return match[0] if host_of(match["bare"]) in allowed_hosts else ""
        return ""

    cleaned = _LINKISH.sub(replace, text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip()
