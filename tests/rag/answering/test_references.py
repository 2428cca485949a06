"""Questions as people write them: a follow-up's "he" or "she" carries the person the previous
answer is about (not fragments of the previous question), and a question naming an outlet and a
day asks for what that outlet reported then. Over the sample articles, as a newcomer asks."""

from __future__ import annotations

import pytest

from rag.answering.followup import Turn, carried_over, people, split_carried
from rag.retrieval.retriever import Query
from rag.wiring import Components

# (previous question, its answer, the follow-up, what it must carry)
PERSONS = [
    (
        "Who leads NATO?",
        "NATO Secretary General Mark Rutte characterized Ukrainian President Volodymyr"
        ' Zelenskyy\'s recent Victory plan as a "good signal". [1]',
        "What did he say about military aid?",
        "Mark Rutte",
    ),
    (
        "Who declared a state of emergency in Valmora?",
        "Governor Anna Kessler declared a state of emergency for the district. [1]",
        "What did she ask the national government for?",
        "Anna Kessler",
    ),
    (
        "Who will present the victory plan?",
        "Ukrainian President Volodymyr Zelensky is set to present his plan to NATO. [1]",
        "Where will he present it?",
        "Volodymyr Zelensky",
    ),
    (
        "What did Prime Minister Keir Starmer announce?",
        "The government announced a review of the rail network. [1]",
        "Why did he order it?",
        "Keir Starmer",  # no one in the answer: the person the question named
    ),
]


@pytest.mark.parametrize(("previous", "answer", "question", "person"), PERSONS)
def test_he_or_she_carries_the_person_the_conversation_is_about(
    previous: str, answer: str, question: str, person: str
) -> None:
    history = [Turn("user", previous), Turn("assistant", answer)]
    own, carried = split_carried(carried_over(question, history))
    assert own == question
    assert carried == person  # the name, and no fragment of the question ("leads", "Secretary")


def test_people_are_names_without_their_titles() -> None:
    text = "NATO Secretary General Mark Rutte met Ukrainian President Volodymyr Zelenskyy's aides."
    assert people(text) == ["Mark Rutte", "Volodymyr Zelenskyy"]
    assert people("The NATO summit in Brussels ended.") == []


def test_it_still_carries_what_the_previous_question_was_about() -> None:
    history = [
        Turn("user", "What is in Zelensky's victory plan?"),
        Turn("assistant", "Zelensky's plan rejects any territorial concessions. [1]"),
    ]
    _, carried = split_carried(carried_over("Does it accept giving up territory?", history))
    assert "victory plan" in carried


def test_a_follow_up_about_him_is_answered_from_the_sample_articles(seeded: Components) -> None:
    service = seeded.ask_service()
    first = service.ask(Query("Who leads NATO?", 5))
    assert not first.declined
    history = [Turn("user", "Who leads NATO?"), Turn("assistant", first.text)]
    answer = service.ask(Query("What did he say about military aid?", 5), history)
    assert not answer.declined, answer.question
    assert "€40 billion" in answer.text and "Rutte" in answer.text


def test_what_an_outlet_reported_on_a_day_is_its_lead_then(seeded: Components) -> None:
    answer = seeded.ask_service().ask(Query("What did ICARO report on October 17, 2024?", 5))
    assert not answer.declined
    assert answer.searched is not None
    assert (
        answer.searched.since is not None
        and answer.searched.since.date().isoformat() == "2024-10-17"
    )
    assert {c.outlet for c in answer.citations} == {"ICARO Media Group"}
    assert answer.text.startswith("NATO Secretary General Mark Rutte")  # the article's lead


def test_which_outlet_reported_that_carries_the_previous_question_whole() -> None:
    history = [
        Turn("user", "How much military aid did NATO say it would deliver to Ukraine?"),
        Turn("assistant", "Rutte did confirm that NATO would meet its €40 billion goal. [1]"),
    ]
    asked = carried_over("Which outlet reported that, and when?", history)
    own, carried = split_carried(asked)
    assert own == "Which outlet reported that, and when?"
    assert carried == "How much military aid did NATO say it would deliver to Ukraine?"


def test_which_outlet_reported_that_is_answered_with_who_published_it_when(
    seeded: Components,
) -> None:
    service = seeded.ask_service()
    question = "How much military aid did NATO say it would deliver to Ukraine?"
    first = service.ask(Query(question, 5))
    assert "€40 billion" in first.text
    history = [Turn("user", question), Turn("assistant", first.text)]
    answer = service.ask(Query("Which outlet reported that, and when?", 5), history)
    assert not answer.declined, answer.question
    assert answer.text.startswith("ICARO Media Group: ")  # each sentence led by its outlet
    assert "€40 billion" in answer.text
    assert answer.text.endswith("Reported by ICARO Media Group on 2024-10-17.")
    assert [c.outlet for c in answer.citations] == ["ICARO Media Group"]
