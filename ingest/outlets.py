"""Known outlets: their names, the aliases readers use, and their web domains.

The table recognises an outlet line in a scraped page and names the outlet of a bare URL. An outlet
missing here is still found by the cues in ``ingest.chrome``; add a row when a source needs it.
"""

from __future__ import annotations

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
