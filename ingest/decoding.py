"""Bytes of a text file into text: UTF-8 when it is, else the encoding charset-normalizer
detects; mojibake (UTF-8 read as cp1252, "Ã©" for "é") repaired by ftfy.

A scraped page saved by some tool or other is as likely cp1252 or Latin-1 as UTF-8; guessing
wrong turns every accent into mojibake, and refusing loses the article.
"""

from __future__ import annotations

from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", or what was detected ("cp1252", "utf_16", ...)
    repaired: bool  # mojibake was found and repaired


class Undecodable(ValueError):
    pass


def decode(data: bytes) -> Decoded:
    """Raise Undecodable for an empty file or bytes that are no text in any encoding."""
    if not data.strip():
        raise Undecodable("empty file")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise Undecodable("not text in any encoding charset-normalizer knows") from None
        text, encoding = str(best), best.encoding
    if not text.strip():
        raise Undecodable("empty file")
    repaired = repair_mojibake(text)
    return Decoded(repaired, encoding, repaired != text)


def repair_mojibake(text: str) -> str:
    """Only the encoding repair: quotes, widths and ligatures stay as the outlet wrote them."""
    return ftfy.fix_encoding(text)
