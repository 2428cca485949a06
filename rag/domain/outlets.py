"""Known outlets: their names, the aliases readers use, and their web domains.

The table recognises an outlet line in a scraped page and names the outlet of a bare URL. An outlet
missing here is still found by the cues in ``ingest.chrome``; add a row when a source needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# name: (aliases, domains)
KNOWN_OUTLETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ICARO Media Group": (("ICARO", "ICARO Media"), ("icaromediagroup.com",)),
    "NewsTrack": (("News Track", "NewsTrack English"), ("newstrack.com", "newstracklive.com")),
    "CNN": (("CNN.com", "Cable News Network"), ("cnn.com",)),
    "USA Today": (("USA TODAY", "USAToday"), ("usatoday.com",)),
    "The Week": (("TheWeek",), ("theweek.com",)),
    "Reuters": ((), ("reuters.com",)),
    "Associated Press": (("AP", "AP News"), ("apnews.com",)),
    "BBC News": (("BBC",), ("bbc.com", "bbc.co.uk")),
    "The Guardian": (("Guardian",), ("theguardian.com",)),
    "The New York Times": (("New York Times", "NYT", "NYTimes"), ("nytimes.com",)),
    "The Washington Post": (("Washington Post",), ("washingtonpost.com",)),
    "The Wall Street Journal": (("Wall Street Journal", "WSJ"), ("wsj.com",)),
    "Al Jazeera": ((), ("aljazeera.com",)),
    "Politico": ((), ("politico.com", "politico.eu")),
    "The Verge": (("Verge",), ("theverge.com",)),
    "TechCrunch": ((), ("techcrunch.com",)),
    "Wired": ((), ("wired.com",)),
    "Engadget": ((), ("engadget.com",)),
    "Mashable": ((), ("mashable.com",)),
    "Fortune": ((), ("fortune.com",)),
    "Bloomberg": ((), ("bloomberg.com",)),
    "Financial Times": (("FT",), ("ft.com",)),
    "Fox News": ((), ("foxnews.com",)),
    "NPR": ((), ("npr.org",)),
    "Sporting News": ((), ("sportingnews.com",)),
    "ESPN": ((), ("espn.com",)),
    "Business Standard": ((), ("business-standard.com",)),
    "The Hindu": ((), ("thehindu.com",)),
    "Times of India": (("The Times of India",), ("timesofindia.indiatimes.com",)),
    "Hacker News": ((), ("news.ycombinator.com",)),
    "CBS News": ((), ("cbsnews.com",)),
    "NBC News": ((), ("nbcnews.com",)),
    "ABC News": ((), ("abcnews.go.com",)),
    "Yahoo News": ((), ("news.yahoo.com",)),
    "Deutsche Welle": (("DW",), ("dw.com",)),
    "France 24": ((), ("france24.com",)),
    "Euronews": ((), ("euronews.com",)),
}

_BY_NAME = {
    key.casefold(): name for name, (aliases, _) in KNOWN_OUTLETS.items() for key in (name, *aliases)
}
_BY_DOMAIN = {domain: name for name, (_, domains) in KNOWN_OUTLETS.items() for domain in domains}


def outlet_named(text: str) -> str | None:
    """The canonical outlet a line names exactly (aliases and case folded), if any."""
    return _BY_NAME.get(" ".join(text.split()).casefold())


def outlet_of_url(url: str) -> str | None:
    """The known outlet whose domain (or a subdomain of it) serves ``url``."""
    host = urlsplit(url).netloc.lower().split(":")[0]
    while host:
        if host in _BY_DOMAIN:
            return _BY_DOMAIN[host]
        _, _, host = host.partition(".")
    return None


def name_forms(outlet: str) -> set[str]:
    """How a question may name an outlet: its name, its head before a " | ", " - " or ": "
    decoration ("BBC News - Technology" -> "BBC News"), the same without a leading "The", and the
    aliases of the outlet table."""
    forms = {outlet}
    head = re.split(r" \| | - | – |: ", outlet, maxsplit=1)[0].strip()
    forms.add(head)
    canonical = outlet_named(outlet) or outlet_named(head)
    if canonical:
        aliases, _ = KNOWN_OUTLETS[canonical]
        forms |= {canonical, *aliases}
    forms |= {f.removeprefix("The ") for f in forms if f.startswith("The ") and len(f.split()) > 2}
    return {f for f in forms if len(f) >= 2}


class OutletRecogniser:
    """Finds the outlets a question names, among the outlets actually in the index.

    Case is folded, but every word of the mention must start with a capital ("The Age" names the
    outlet, "the age of" does not; "CNBC" names "Cnbc | World Business News Leader").
    """

    def __init__(self, outlets: Iterable[str]) -> None:
        by_form: dict[str, set[str]] = {}
        for outlet in outlets:
            for form in name_forms(outlet):
                by_form.setdefault(form.casefold(), set()).add(outlet)
        self._by_form = by_form
        alternatives = sorted(by_form, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![\w])(?:" + "|".join(re.escape(f) for f in alternatives) + r")(?![\w])",
                re.IGNORECASE,
            )
            if alternatives
            else None
        )

    def recognise(self, question: str) -> list[str]:
        return list(dict.fromkeys(outlet for outlet, _ in self.mentions(question)))

    def mentions(self, question: str) -> list[tuple[str, str]]:
        """(outlet, the mention as written) for each outlet the question names."""
        if self._pattern is None:
            return []
        found: list[tuple[str, str]] = []
        for match in self._pattern.finditer(question):
            mention = match.group(0)
            if all(_capitalised(word) for word in mention.split()):
                found += [(o, mention) for o in sorted(self._by_form[mention.casefold()])]
        return found


_CONNECTORS = frozenset({"and", "of", "the", "for", "on", "in", "at", "&", "-", "|"})


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or not word[:1].isalpha() or word in _CONNECTORS
