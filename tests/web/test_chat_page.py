"""The chat page in headless Chromium against the real app over HTTP (seeded store)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from rag.settings import Settings
from rag.wiring import Components
from tests.conftest import free_port, serving
from tests.fake_llm import FakeLLM, Reply, fake_llm
from tests.web.conftest import KEY, PHONE

AID_QUESTION = "How much military aid did NATO say it would deliver to Ukraine?"
ICARO_TITLE = "NATO's Lukewarm Response to Zelenskyy's Victory Plan Signals Caution"
# Records every state of the first answer's text, so that a test can tell a streamed answer
# from one that arrived whole.
RECORD_ANSWER_STATES = """
window.answerStates = [];
new MutationObserver(() => {
  const text = document.querySelector(".answer-text");
  if (text && window.answerStates.at(-1) !== text.textContent) {
    window.answerStates.push(text.textContent);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def url(client: httpx.Client) -> str:
    return str(client.base_url)


def ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.keyboard.press("Enter")


def last_answer(page: Page) -> Locator:
    answer = page.locator(".answer").last
    expect(answer).to_have_attribute("aria-busy", "false")
    return answer


def test_an_answer_links_its_marker_to_the_icaro_source_card(api: httpx.Client, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url(api))
    ask(page, AID_QUESTION)
    answer = page.locator(".answer").last
    expect(answer).to_have_attribute("aria-busy", "false")
    expect(answer).to_contain_text("€40 billion")
    marker = answer.get_by_role("link", name=re.compile(r"^Source 1: ICARO Media Group"))
    expect(marker.first).to_have_text("[1]")
    marker.first.click()

    card = page.get_by_role("dialog", name=ICARO_TITLE)
    expect(card).to_be_visible()
    expect(card).to_contain_text("ICARO Media Group")
    expect(card).to_contain_text("2024-10-17")
    highlighted = card.locator("mark")
    expect(highlighted).to_contain_text("€40 billion military aid goal")
    # The quote sits inside its whole chunk, which says more than the quote.
    passage = card.locator("blockquote").inner_text()
    assert len(passage) > len(highlighted.inner_text()) + 100
    expect(card).to_contain_text("No link was recorded")  # raw scraped text has no URL

    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(marker.first).to_be_focused()  # back where the reader was
    # Nothing was fetched from anywhere but Byline itself.
    assert requested and all(r.startswith(url(api)) or r.startswith("data:") for r in requested)


def test_the_keyboard_alone_opens_a_source(api: httpx.Client, page: Page) -> None:
    page.goto(url(api))
    page.get_by_label("Your question").focus()
    page.keyboard.type("Who is the US Ambassador to NATO?")
    page.keyboard.press("Enter")
    last_answer(page)
    marker = page.locator(".answer a.cite").first
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("button", name="Close the source").press("Enter")
    expect(page.get_by_role("dialog")).to_be_hidden()


@contextmanager
def answering_with_model(seeded: Components, reply: Reply, page: Page) -> Iterator[FakeLLM]:
    """The page asking the aid question of an app whose chat model sends this reply."""
    with fake_llm(reply) as llm:
        settings = seeded.settings.updated(llm_model="fake-model", llm_base_url=llm.url)
        with serving(settings) as client:
            page.goto(url(client))
            ask(page, AID_QUESTION)
            yield llm


def test_an_answer_from_a_chat_model_streams_in_sentence_by_sentence(
    seeded: Components, page: Page
) -> None:
    first = "NATO allies pledged €40 billion in military aid to Ukraine [1]."
    second = "NATO has yet to formally invite Ukraine to join the alliance [1]."
    reply = Reply(f"{first} {second}", delta_chars=8, delta_delay_s=0.15)
    page.add_init_script(RECORD_ANSWER_STATES)
    with answering_with_model(seeded, reply, page):
        answer = last_answer(page)
    states: list[str] = page.evaluate("window.answerStates")
    # The first sentence was on the page on its own before the second arrived.
    assert any(first in s and "join the alliance" not in s for s in states), states
    expect(answer.locator(".answer-text")).to_have_text(f"{first} {second}")
    page.locator(".answer a.cite").first.click()
    expect(page.get_by_role("dialog", name=ICARO_TITLE)).to_be_visible()


def test_stop_ends_the_answer_and_the_chat_model_hears_the_hang_up(
    seeded: Components, page: Page
) -> None:
    first = "NATO allies pledged €40 billion in military aid to Ukraine [1]."
    rest = " ".join(["NATO has yet to formally invite Ukraine to join the alliance [1]."] * 20)
    reply = Reply(f"{first} {rest}", delta_chars=8, delta_delay_s=0.1)
    with answering_with_model(seeded, reply, page) as llm:
        expect(page.locator(".answer-text")).to_contain_text("€40 billion")
        page.get_by_role("button", name="Stop").click()
        expect(page.locator(".answer")).to_contain_text("Stopped before the answer ended.")
        assert llm.client_hung_up.wait(30), "the chat model kept generating"
        assert llm.chunks_sent < len(reply.content) // reply.delta_chars
    expect(page.get_by_role("button", name="Ask")).to_be_visible()
    expect(page.locator(".answer")).to_have_attribute("aria-busy", "false")


def test_a_follow_up_is_asked_with_the_conversation(api: httpx.Client, page: Page) -> None:
    page.goto(url(api))
    ask(page, "What did Rutte call the victory plan?")
    last_answer(page)
    with page.expect_request(re.compile(r"/ask$")) as sent:
        ask(page, "Did he endorse all of it?")
    body = json.loads(sent.value.post_data or "{}")
    assert [turn["role"] for turn in body["history"]] == ["user", "assistant"]
    assert body["history"][0]["content"] == "What did Rutte call the victory plan?"
    answer = last_answer(page)
    # "he" carries the person the previous answer is about, titles dropped.
    expect(answer).to_contain_text("Searched as: Did he endorse all of it? (Mark Rutte)")

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".turn")).to_have_count(0)
    with page.expect_request(re.compile(r"/ask$")) as sent:
        ask(page, AID_QUESTION)
    assert json.loads(sent.value.post_data or "{}")["history"] == []


def cited_outlets(page: Page, question: str) -> set[str]:
    page.get_by_role("button", name="New conversation").click()
    ask(page, question)
    sources = last_answer(page).locator(".sources a")
    expect(sources.first).to_be_visible()
    return {text.split(":")[0] for text in sources.all_inner_texts()}


def test_outlet_and_date_filters_narrow_the_sources(api: httpx.Client, page: Page) -> None:
    question = "How does NATO support Ukraine?"
    page.goto(url(api))
    assert cited_outlets(page, question) == {"NewsTrack"}  # unfiltered

    page.locator("#filters summary").click()
    page.get_by_role("checkbox", name=re.compile("ICARO")).check()
    expect(page.locator("#filter-summary")).to_have_text("ICARO Media Group")
    assert cited_outlets(page, question) == {"ICARO Media Group"}

    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("from").fill("2024-10-01")
    page.get_by_label("until").fill("2024-10-31")
    expect(page.locator("#filter-summary")).to_have_text("2024-10-01 to 2024-10-31")
    # NewsTrack's article is undated, so a date range leaves only ICARO's.
    assert cited_outlets(page, question) == {"ICARO Media Group"}


def test_a_declined_answer_says_so(api: httpx.Client, page: Page) -> None:
    page.goto(url(api))
    ask(page, "Who won the 2022 FIFA World Cup final?")
    answer = page.locator(".answer").last
    expect(answer).to_have_class(re.compile(r"\bdeclined\b"))
    expect(answer).to_contain_text("No answer in the ingested articles")
    expect(answer.locator("a.cite")).to_have_count(0)
    expect(page.locator("#announcer")).to_have_text("No answer was found in the ingested articles.")
    # It says where it looked, and offers the nearest passages as search results.
    expect(answer.locator(".searched")).to_have_text(
        re.compile(r"^Searched news up to \d{4}-\d\d-\d\d, from every outlet\.$")
    )
    nearest = answer.get_by_role("list", name="Nearest passages").get_by_role("listitem")
    expect(nearest.first).to_contain_text(re.compile("ICARO Media Group|NewsTrack"))
    assert 0 < nearest.count() <= 3


# Questions the sample articles answer, some surely and some not: the page marks the unsure ones.
SAMPLE_QUESTIONS = [
    AID_QUESTION,
    "Who is the US Ambassador to NATO?",
    "What did Zelensky propose to deter Russian aggression?",
    "What does NATO fear about escalating the conflict?",
    "Where will Zelensky present his victory plan?",
    "When did Rutte speak about the victory plan?",
    "Who leads NATO?",
]


def test_an_unsure_answer_is_marked_and_a_sure_one_is_not(api: httpx.Client, page: Page) -> None:
    bodies = {q: api.post("/ask", json={"question": q}).json() for q in SAMPLE_QUESTIONS}
    answered = {q: b for q, b in bodies.items() if not b["declined"]}
    unsure = [q for q, b in answered.items() if b["unsure"]]
    sure = [q for q, b in answered.items() if not b["unsure"]]
    assert unsure and sure, {q: b["confidence"] for q, b in answered.items()}
    page.goto(url(api))
    ask(page, unsure[0])
    answer = last_answer(page)
    expect(answer).to_have_class(re.compile(r"\bunsure\b"))
    expect(answer.locator(".unsure-note")).to_contain_text("Unsure:")
    expect(page.locator("#announcer")).to_contain_text("marked unsure")
    page.goto(url(api))  # a new conversation: the next question is no follow-up
    ask(page, sure[0])
    answer = last_answer(page)
    expect(answer).to_contain_text(bodies[sure[0]]["answer"].split(" [")[0][:40])
    expect(answer.locator(".unsure-note")).to_have_count(0)


def test_a_server_error_shows_the_error(tmp_path: Path, page: Page) -> None:
    # A Chroma server that is not there: the real app answers 503 with its envelope.
    settings = Settings(
        data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}", chroma_timeout_s=1
    )
    with serving(settings, ready=False) as client:
        page.goto(url(client))
        ask(page, AID_QUESTION)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Byline could not answer")
        expect(alert).to_contain_text("HTTP 503")
        expect(page.locator(".answer").last).to_have_attribute("aria-busy", "false")
        expect(page.get_by_role("button", name="Try again")).to_be_visible()


def test_the_articles_view_lists_outlets_counts_and_newest_dates(
    api: httpx.Client, page: Page
) -> None:
    page.goto(url(api) + "#articles")
    rows = page.locator("#outlet-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_text(re.compile(r"ICARO Media Group\s*1\s*2024-10-17"))
    expect(rows.nth(1)).to_have_text(re.compile(r"NewsTrack\s*1\s*undated"))
    expect(page.locator("#articles-total")).to_have_text("2 articles from 2 outlets.")
    expect(page.locator("#latest li")).to_have_count(2)
    rows.nth(1).get_by_role("button").click()
    expect(page.locator("#latest li")).to_have_count(1)
    expect(page.locator("#latest li")).to_contain_text("NewsTrack")
    page.get_by_role("link", name="Ask").click()
    expect(page.get_by_label("Your question")).to_be_visible()


def test_a_server_with_keys_asks_for_one_and_then_answers(keyed: httpx.Client, page: Page) -> None:
    page.goto(url(keyed))
    key = page.get_by_label("This server needs an API key")
    expect(key).to_be_visible()  # the outlet list was refused without one
    key.fill(KEY)
    key.press("Enter")
    expect(key).to_be_hidden()
    page.locator("#filters summary").click()
    expect(page.get_by_role("checkbox", name=re.compile("ICARO"))).to_have_count(1)
    ask(page, AID_QUESTION)
    expect(last_answer(page)).to_contain_text("€40 billion")


def test_at_phone_width_nothing_overflows(api: httpx.Client, page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto(url(api))
    ask(page, AID_QUESTION)
    last_answer(page)
    overflow = "document.documentElement.scrollWidth - window.innerWidth"
    assert page.evaluate(overflow) <= 0
    page.locator(".answer a.cite").first.click()
    card = page.get_by_role("dialog")
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.goto(url(api) + "#articles")
    expect(page.locator("#outlet-table tbody tr")).to_have_count(2)
    assert page.evaluate(overflow) <= 0


def in_view(page: Page, locator: Locator) -> bool:
    """Wholly inside the window and above the sticky question bar."""
    box = locator.bounding_box()
    bar = page.locator("#ask-form").bounding_box()
    assert box is not None and bar is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= bar["y"] + 1


def test_the_newest_question_and_its_answer_stay_in_view(api: httpx.Client, page: Page) -> None:
    questions = [
        AID_QUESTION,
        "What did Rutte say about the victory plan?",
        "Who won the 2022 FIFA World Cup final?",
        "What did Zelenskyy present to NATO?",
        AID_QUESTION,
    ]
    for size in (None, PHONE):
        if size:
            page.set_viewport_size(size)
        page.goto(url(api))
        for number, question in enumerate(questions, start=1):
            ask(page, question)
            answer = last_answer(page)
            expect(page.locator(".turn")).to_have_count(number)
            turn = page.locator(".turn").last
            assert in_view(page, turn.locator(".question")), (size, number)
            # The answer's first lines are in view; the rest follows by scrolling.
            first_line = answer.locator(".answer-text, .declined-note").first
            assert in_view(page, first_line), (size, number)


def test_a_declined_answer_says_it_once(api: httpx.Client, page: Page) -> None:
    page.goto(url(api))
    ask(page, "Who won the 2022 FIFA World Cup final?")
    answer = last_answer(page)
    expect(answer).to_contain_text("No answer in the ingested articles")
    assert "Not found in the ingested articles" not in answer.inner_text()
    assert answer.inner_text().count("No answer") == 1


def test_at_phone_width_the_table_aligns_and_the_filters_leave_room(
    api: httpx.Client, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(url(api) + "#articles")
    rows = page.locator("#outlet-table tbody tr")
    expect(rows).to_have_count(2)
    starts = set()
    for row in rows.all():
        cell, name = row.locator("td").first.bounding_box(), row.get_by_role("button")
        button = name.bounding_box()
        assert cell is not None and button is not None
        starts.add(round(button["x"] - cell["x"]))
        count, date = row.locator("td.number").bounding_box(), row.locator("td.date")
        assert count is not None and date.bounding_box() is not None
        assert date.evaluate("e => e.scrollWidth <= e.clientWidth")  # not cut or wrapped
        assert "\n" not in date.inner_text()
    assert len(starts) == 1  # every outlet's name starts at the same place
    page.get_by_role("link", name="Ask").click()
    page.locator("#filters summary").click()
    expect(page.get_by_role("checkbox", name=re.compile("ICARO"))).to_be_visible()
    bar = page.locator("#ask-form").bounding_box()
    assert bar is not None and bar["height"] <= PHONE["height"] / 2
