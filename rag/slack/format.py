"""An answer as a Slack message: mrkdwn sections, a sources block, feedback buttons.

Everything that comes from articles or users is escaped (``&``, ``<``, ``>``), so text such as
``<!channel>``, ``<!here>`` or ``<@U123>`` inside an article reaches Slack as harmless
characters, never as a mass mention; only the links Byline builds itself are live.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag.domain.models import Answer, Citation, Passage
from rag.domain.text import split_sentences
from rag.render import Source, day, sources

SECTION_LIMIT = 3000  # Slack's limit for a section block's text
HELPFUL, NOT_HELPFUL = "byline_helpful", "byline_not_helpful"
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Escaped text with markdown's bold, headings, bullets and links in Slack's mrkdwn."""
    text = escape(markdown)
    text = _MD_LINK.sub(lambda m: f"<{m[2]}|{m[1].replace('|', '¦')}>", text)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"*{m[1] or m[2]}*", text)
    text = re.sub(r"^#{1,6}\s+(.+)$", r"*\1*", text, flags=re.M)
    return re.sub(r"^[ \t]*[-*]\s+", "• ", text, flags=re.M)


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces under ``limit`` characters, cut between lines, then sentences, then words."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for position, unit in enumerate(_units(line, limit)):
            separator = "\n" if position == 0 else " "
            joined = f"{current}{separator}{unit}" if current else unit
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = unit
    if current.strip():
        pieces.append(current)
    return pieces


def _units(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    units: list[str] = []
    for sentence in split_sentences(line):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            units.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            units.append(sentence)
    return units


def source_line(source: Source) -> str:
    note = source.article.story_note
    story = f"\n      _{escape(note.text)}_" if note and note.text else ""
    return f"{source.label} {_article_link(source.article)}{story}"


def _article_link(article: Citation | Passage) -> str:
    """``Outlet — Title (date)``, linked to the article where it has a web address."""
    label = escape(f"{article.outlet} — {article.title}").replace("|", "¦")
    linked = f"<{article.url}|{label}>" if article.url.startswith("http") else label
    date = f" ({when})" if (when := day(article.published_at)) else ""
    return f"{linked}{date}"


def answer_message(answer: Answer, question: str) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage (channel and thread added by the caller)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in split_sections(to_mrkdwn(answer.text))
    ]
    if not answer.declined and answer.confidence is not None:
        # The same calibrated number as /ask's: about that share of such answers are right.
        note = f"Confidence {answer.confidence:.2f}"
        if answer.support is not None and answer.support.line():
            note = f"{answer.support.line()} {note}"
        if answer.unsure:
            note = f":warning: *Unsure*: likelier wrong than right. Check its sources. ({note})"
        blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    if answer.citations:
        listed = "*Sources*\n" + "\n".join(source_line(s) for s in sources(answer.citations))
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_sections(listed)
        ]
    if answer.declined:
        blocks += _decline_blocks(answer)
    value = json.dumps({"q": question[:1500]})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button("Helpful", HELPFUL, value, "primary"),
                _button("Not helpful", NOT_HELPFUL, value, None),
            ],
        }
    )
    return {
        "text": split_sections(escape(answer.text))[0] if answer.text else "…",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _decline_blocks(answer: Answer) -> list[dict[str, Any]]:
    """What a decline searched, and the nearest passages it found, as search results."""
    lines = []
    if answer.searched is not None:
        lines.append(f"Searched {escape(answer.searched.describe())}.")
    if answer.nearest:
        lines.append("*The nearest passages found*")
        lines += [f"• {_article_link(p)}" for p in answer.nearest]
    pieces = split_sections("\n".join(lines))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in pieces]


def _button(label: str, action_id: str, value: str, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button
