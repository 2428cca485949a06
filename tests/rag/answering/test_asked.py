"""What a question asks for: its kind, what it counts, whose account, and when it cannot say."""

from __future__ import annotations

import pytest

from rag.answering.asked import Kind, person_names, read_question, terms_of


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people died in the floods?", Kind.NUMBER),
        ("What is the current price of bitcoin?", Kind.NUMBER),
        ("On what date is the election?", Kind.DATE),
        ("When will Ukraine join NATO?", Kind.DATE),
        ("Who is the US Ambassador to NATO?", Kind.PERSON),
        ("Which pop star won the most awards?", Kind.PERSON),
        ("Where will the ministers meet?", Kind.PLACE),
        ("Which state raised its gas prices?", Kind.PLACE),
        ("Which airline gave passengers miles?", Kind.ORGANISATION),
        ("Why did Rutte hold back?", Kind.REASON),
        ("What restrictions does Zelensky want removed?", Kind.OTHER),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: Kind) -> None:
    assert read_question(question).kind is kind


def test_what_is_counted_and_when_what_happens() -> None:
    def counted(question: str) -> frozenset[str]:
        return read_question(question).counted

    assert counted("How many air defense systems did NATO send?") == set(terms_of("systems"))
    assert counted("How many people died in the floods?") == set(terms_of("people"))
    assert counted("How much does a ticket cost?") == frozenset()
    assert counted("What is the population of Ukraine?") == set(terms_of("population"))
    assert read_question("When will Ukraine formally join NATO?").event == set(terms_of("join"))


def test_whose_account_is_asked_for() -> None:
    assert read_question("What did Rutte say about the plan?").speaker == ("Rutte",)
    assert read_question("How did Mark Rutte characterize the plan?").speaker == ("Mark", "Rutte")
    assert read_question("Who is Rutte?").speaker == ()
    # A follow-up's "he" is whoever the carried-over context names.
    follow_up = read_question("What did he say about it? (defense minister Rustem Umerov)")
    assert follow_up.speaker == ("Umerov",) and not follow_up.unresolved


def test_a_pronoun_with_no_one_to_refer_to_is_unresolved() -> None:
    assert read_question("Did he endorse all of it?").unresolved
    assert not read_question("Did Rutte endorse all of it?").unresolved
    assert not read_question("What did the plan say about it?").unresolved  # "it" is no person
    # The question names its own referent, later: "Which figure said she ..." is resolved.
    assert not read_question("Which public figure said she will launch a company?").unresolved


def test_a_follow_ups_carried_names_may_be_its_answer() -> None:
    asked = read_question("What region is it losing? (Ukraine Donbas)")
    assert "donbas" not in asked.words  # so a sentence naming Donbas names something new
    assert {"ukrain", "donba"} <= asked.focus  # the answerer's stems


def test_a_person_is_two_names_or_a_title_and_a_name() -> None:
    asked = read_question("Who won the election?")
    assert person_names("Donald Trump won the vote in Ohio.", asked) == ["Donald Trump"]
    assert person_names("Rep. McCarthy lost again.", asked) == ["Rep. McCarthy"]
    assert person_names("The US and NATO met in Brussels on Friday.", asked) == []
