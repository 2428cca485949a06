from __future__ import annotations

from rag.domain.outlets import OutletRecogniser

INDEX = [
    "CNN",
    "USA Today",
    "The Week",
    "The New York Times",
    "The Age",
    "BBC News - Technology",
    "Cnbc | World Business News Leader",
    "The Independent - Life and Style",
    "TechCrunch",
    "The Verge",
]
recognise = OutletRecogniser(INDEX).recognise


def test_outlets_named_in_questions_are_recognised() -> None:
    assert recognise("What did Byline readers learn, according to CNN?") == ["CNN"]
    assert recognise("As reported by The Verge and TechCrunch, who was charged?") == [
        "The Verge",
        "TechCrunch",
    ]
    assert recognise("USA TODAY reported what on Monday?") == ["USA Today"]


def test_aliases_and_decorated_names() -> None:
    assert recognise("What did the NYT say?") == ["The New York Times"]
    assert recognise("Did New York Times coverage differ?") == ["The New York Times"]
    assert recognise("What did BBC News report about AI?") == ["BBC News - Technology"]
    assert recognise("Per CNBC, which stock fell?") == ["Cnbc | World Business News Leader"]
    assert recognise("Does 'The Independent - Life and Style' agree?") == [
        "The Independent - Life and Style"
    ]


def test_common_phrases_are_not_outlets() -> None:
    assert recognise("What happened in the week before the election?") == []
    assert recognise("Is this the age of AI?") == []
    assert recognise("Who said it on cnn.com?") == []


def test_only_outlets_in_the_index_are_recognised() -> None:
    assert recognise("What did Reuters report?") == []
