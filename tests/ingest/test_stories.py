"""Copies of one wire story grouped at ingest, shown once in retrieval with who else carries it."""

from __future__ import annotations

from pathlib import Path

from ingest.upgrade import upgrade
from rag.adapters.name_tagger import NameTagger
from rag.domain.models import ArticleHead
from rag.domain.stories import story_note
from rag.render import sources_suffix
from rag.retrieval.retriever import Query
from rag.wiring import Components
from tests.ingest.web_server import news_page

WIRE = [
    "Flood waters breached the Carrow dam above the town of Valmora late on Tuesday, forcing"
    " 3,200 residents from their homes, regional officials said on Wednesday.",
    "The river rose by four metres in six hours after three days of heavy rain, according to the"
    " regional water authority, which had warned of cracks in the dam wall since March.",
    "Emergency crews evacuated two care homes and a primary school by boat during the night."
    " No deaths were reported, but eleven people were treated for hypothermia.",
    "Governor Anna Kessler declared a state of emergency for the district and asked the national"
    " government for army engineers to help shore up the remaining section of the wall.",
    "The Carrow dam was built in 1962 to protect farmland downstream. An inspection report"
    " published last year rated its spillway as poor and recommended repairs within two years.",
    "Residents gathered in a sports hall in the neighbouring town of Lisk, where the Red Cross"
    " set up beds and a field kitchen. Schools across the district will stay closed until Friday.",
    "Forecasters expect the rain to ease on Thursday, but said the river would stay high for"
    " several days as water drains from the hills above the valley.",
]
# Another story on the same news: the same dam and town, a week on, different facts.
FOLLOW_UP = [
    "Repairing the Carrow dam above Valmora will cost at least 48 million euros and take two"
    " years, the regional government said on Monday, a week after floods breached its wall.",
    "Engineers from the national army finished a temporary barrier of rock and steel on Sunday,"
    " allowing most of the 3,200 evacuated residents to return home over the weekend.",
    "The opposition called for an inquiry into why warnings about cracks in the dam, first"
    " raised in March, did not lead to repairs before the autumn rains began.",
    "Insurers estimated the damage to homes and farms in the valley at 30 million euros. Farmers"
    " said fields downstream would not be planted again before next spring.",
    "Governor Anna Kessler said the region would pay for temporary housing for families whose"
    " homes could not yet be lived in, and promised a report on the dam within three months.",
]


def write_page(
    folder: Path, name: str, title: str, paragraphs: list[str], date: str, site: str
) -> Path:
    path = folder / f"{name}.html"
    path.write_bytes(news_page(title, paragraphs, date, site))
    return path


def wire_copies(folder: Path) -> list[Path]:
    """The story as AP sent it, and two outlets' copies: a new headline, the lead rewritten, a
    sentence cut; one copy carries no date."""
    original = write_page(
        folder, "ap", "Dam breach floods Valmora", WIRE, "2024-11-06T09:00:00+00:00", "AP News"
    )
    lead = "VALMORA (AP) — " + WIRE[0].split(",")[0] + ", officials said."
    edited = [lead, *WIRE[1:3], WIRE[3].split(".")[0] + ".", *WIRE[4:]]
    courier = write_page(
        folder,
        "courier",
        "Thousands flee as Carrow dam gives way",
        edited,
        "2024-11-06T14:30:00+00:00",
        "Valmora Courier",
    )
    shorter = [WIRE[0], WIRE[1], WIRE[3], WIRE[4], WIRE[5]]
    herald = write_page(
        folder, "herald", "Valmora evacuated after dam fails", shorter, "", "Lisk Herald"
    )
    return [original, courier, herald]


def stories_of(components: Components) -> dict[str, str]:
    """Each stored article's title → its story id."""
    chunks = components.store.documents(sorted(components.store.all_ids()))
    return {str(m["title"]): str(m["story"]) for _, _, m in chunks if m["chunk_index"] == 0}


def test_wire_copies_are_one_story_and_another_story_on_the_same_news_is_not(
    fresh: Components, tmp_path: Path
) -> None:
    pages = wire_copies(tmp_path)
    follow_up = write_page(
        tmp_path, "follow", "Dam repairs to cost 48 million", FOLLOW_UP, "2024-11-13", "AP News"
    )
    summary = fresh.ingestor().ingest_paths([*pages, follow_up])
    assert summary.new == 4, summary.errors
    story = stories_of(fresh)
    copies = {
        story[t]
        for t in (
            "Dam breach floods Valmora",
            "Thousands flee as Carrow dam gives way",
            "Valmora evacuated after dam fails",
        )
    }
    assert len(copies) == 1  # one story
    assert story["Dam repairs to cost 48 million"] not in copies  # a different story


def test_search_returns_one_copy_and_names_the_first_report_and_the_other_outlets(
    fresh: Components, tmp_path: Path
) -> None:
    fresh.ingestor().ingest_paths(wire_copies(tmp_path))
    retrieved = fresh.retriever().retrieve(
        Query("How many residents left Valmora after the dam breach?", 5)
    )
    articles = {p.article_id for p in retrieved.passages}
    assert len(articles) == 1  # one story: one copy's passages, not three copies'
    note = retrieved.passages[0].story_note
    assert note is not None and note.copies == 2
    # The earliest dated copy ("AP News" is the site name of a known outlet); the undated never.
    assert note.origin_outlet == "Associated Press"
    cited = retrieved.passages[0].outlet
    assert set(note.outlets) == {"Associated Press", "Valmora Courier", "Lisk Herald"} - {cited}
    answer = fresh.ask_service().ask(
        Query("How many residents left Valmora after the dam breach?", 5)
    )
    shown = sources_suffix(answer.citations)
    assert "Reported first" in shown and "also carried by" in shown


def test_an_undated_copy_is_never_the_origin() -> None:
    undated = ArticleHead("a", "T", "Early Wire", "", "", None, -1)
    dated = ArticleHead("b", "T", "Late Paper", "", "", "2024-11-06T14:30:00+00:00", 1730903400)
    note = story_note("a", "Early Wire", [undated, dated])
    assert note is not None and note.origin_outlet == "Late Paper"
    assert note.text == "Reported first by Late Paper (2024-11-06); also carried by Late Paper."
    alone = story_note("a", "Early Wire", [undated])
    assert alone is None


def test_upgrade_groups_a_store_written_before_stories(fresh: Components, tmp_path: Path) -> None:
    fresh.ingestor().ingest_paths(wire_copies(tmp_path))
    grouped = stories_of(fresh)
    ids = sorted(fresh.store.all_ids())
    # As an earlier release wrote it: no story, no signature, layout 3.
    stripped = {
        chunk_id: {k: v for k, v in meta.items() if k not in ("story", "minhash", "story_bands")}
        for chunk_id, _, meta in fresh.store.documents(ids)
    }
    fresh.store.rewrite_metadata(stripped)
    fresh.store.record_layout(3)
    done = upgrade(fresh.store, fresh.lexical, NameTagger())
    assert (done.before, done.after) == (3, 4)
    regrouped = stories_of(fresh)
    assert len(set(regrouped.values())) == 1
    assert set(regrouped) == set(grouped)
    again = upgrade(fresh.store, fresh.lexical, NameTagger())
    assert again.rewritten == 0  # idempotent


def test_a_copy_ingested_later_joins_the_stored_story_through_its_band_keys(
    fresh: Components, tmp_path: Path
) -> None:
    """Each ingest (or POST /articles) finds stored copies by the band keys the lexical table
    indexes, not by reading every stored article."""
    original, courier, herald = wire_copies(tmp_path)
    fresh.ingestor().ingest_paths([original])
    fresh.ingestor().ingest_paths([courier])  # a new ingestor: only the store knows the story
    fresh.ingestor().ingest_paths([herald])
    assert len(set(stories_of(fresh).values())) == 1
    firsts = {
        str(m["title"]): m
        for _, _, m in fresh.store.documents(sorted(fresh.store.all_ids()))
        if m["chunk_index"] == 0
    }
    courier_keys = str(firsts["Thousands flee as Carrow dam gives way"]["story_bands"]).split()
    found = {article for article, _, _ in fresh.lexical.story_candidates(courier_keys)}
    assert firsts["Dam breach floods Valmora"]["article_id"] in found
