"""Page chrome of scraped news pages: the lines that are not the article, and the outlet cues.

Everything here is data: a new site's chrome is a new row, not new code. Patterns match a whole
line after its whitespace is collapsed, case-insensitively.
"""

from __future__ import annotations

import re

# Lines that are never article text, wherever they stand.
CHROME_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"share(?: (?:this|on) [\w ]{1,30})?:?",
        r"(?:advertisement|advert|ad|sponsored(?: content)?|promoted)",
        r"(?:subscribe|sign up|log ?in|register)(?: (?:now|here|today|for [\w ]{1,40}))?[.!]?",
        r"(?:follow|like) us(?: on [\w ,&]{1,60})?[.!]?",
        r"join [\w .&'-]{1,60} (?:whats ?app|telegram|google news|signal)(?: (?:group|channel))?",
        r"(?:click|tap) here.*",
        r"(?:print|email|comments?|save|copy link|listen(?: to this article)?)",
        r"(?:photo|image|video)(?: credit)?s?: .{1,120}",
        r"(?:©|\(c\)|copyright) .{0,120}",
        r"all rights reserved\.?",
        r"the views expressed in this article .{0,200}",
        r"tags?: .{0,200}",
        r"https?://\S+",
        r"(?:story continues below(?: advertisement)?|continue reading)",
    )
)

# A line that opens the related-links footer: it and everything after it go.
FOOTER_STARTS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"related(?: (?:news|articles|stories|posts|content|coverage|links))?:?",
        r"(?:read|up) next:?",
        r"more (?:from|on|in) .{1,40}",
        r"(?:you|we think you) (?:may|might) also like:?",
        r"recommended(?: for you| stories)?:?",
        r"(?:most|also) (?:read|popular|viewed)(?: stories)?:?",
        r"trending(?: now| stories)?:?",
    )
)

# Section words that a page prints above its headline.
SECTION_WORDS = frozenset(
    """politics world business economy markets finance technology tech science health sports
    sport entertainment culture lifestyle travel opinion opinions analysis news national
    international local us u.s. europe asia africa americas middle east india uk climate
    environment education crime law legal defense defence military breaking nation""".split()
) | {"middle east", "breaking news", "world news", "top stories", "latest news"}

# Sentences that name the outlet publishing the page; group "outlet" holds the name.
OUTLET_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^join (?P<outlet>[\w .&'-]{1,60}?) (?:whats ?app|telegram|google news|signal)\b",
        r"^(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?(?P<outlet>[^.,|©]{2,60}?)"
        r"(?:[.,|]|\s+all rights|$)",
        r"\bopinion of (?P<outlet>[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,4})(?:,| or\b|\.|$)",
        r"^(?:follow|like) (?P<outlet>[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3}) on\b",
    )
)

# A header line shaped like an outlet's name ("ICARO Media Group", "Daily Herald").
OUTLET_NAME_SHAPE = re.compile(
    r"^(?:The )?[A-Z][\w&.'-]*(?: [A-Z&][\w&.'-]*){0,4} "
    r"(?:Media Group|Media|News|Newsroom|Times|Post|Herald|Tribune|Journal|Gazette|Daily|Press|"
    r"Network|Chronicle|Telegraph|Observer|Guardian|Today|Wire|Insider|Reporter|Express|Mail)$"
)


def is_chrome(line: str) -> bool:
    return any(p.fullmatch(line) for p in CHROME_LINES)


def starts_footer(line: str) -> bool:
    return any(p.fullmatch(line) for p in FOOTER_STARTS)


def is_section_word(line: str) -> bool:
    return line.casefold().rstrip(":") in SECTION_WORDS


def outlet_cue(line: str) -> str | None:
    for pattern in OUTLET_CUES:
        match = pattern.search(line)
        if match:
            return " ".join(match.group("outlet").split())
    return None
