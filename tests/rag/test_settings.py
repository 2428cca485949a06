"""Settings read from the environment: a renamed setting's old name still works, and says so."""

from __future__ import annotations

import logging

import pytest

from rag.settings import Settings


def test_the_old_name_of_the_query_threads_is_read_with_a_deprecation_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BYLINE_TORCH_THREADS", "3")
    with caplog.at_level(logging.WARNING, logger="byline.settings"):
        assert Settings().embedding.query_threads == 3
    assert "BYLINE_TORCH_THREADS is deprecated: it sets BYLINE_QUERY_THREADS" in caplog.text
    monkeypatch.setenv("BYLINE_QUERY_THREADS", "2")
    assert Settings().embedding.query_threads == 2  # the new name wins


def test_the_query_threads_default_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BYLINE_TORCH_THREADS", raising=False)
    monkeypatch.delenv("BYLINE_QUERY_THREADS", raising=False)
    assert Settings().embedding.query_threads == 1
