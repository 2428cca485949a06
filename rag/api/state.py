"""What the app's routes share, typed: the components that load in the background, the services
built once from them, the metrics and the Slack bot. Reached through ``state_of(app)``, never
``getattr`` on ``app.state``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from rag.answering.service import AskService
from rag.api.metrics import Metrics

if TYPE_CHECKING:
    from rag.api.access import Access
from rag.errors import NotReady
from rag.slack.bot import SlackBot
from rag.wiring import Components


@dataclass
class ApiState:
    metrics: Metrics
    access: Access
    slack_bot: SlackBot | None = None
    slack_signing_secret: str = ""
    components: Components | None = None
    load_error: str | None = None
    _ask_service: AskService | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ready(self) -> Components:
        """The loaded components; NotReady (503) while they load or when loading failed."""
        if self.components is None:
            error = self.load_error
            raise NotReady(
                f"failed to load: {error}" if error else "still loading the model and store"
            )
        return self.components

    def ask_service(self) -> AskService:
        """Built once, on first use (prompts loaded then), and counted by the metrics."""
        with self._lock:
            if self._ask_service is None:
                service = self.ready().ask_service()
                service.on_answer = self.metrics.observe_answer
                self._ask_service = service
            return self._ask_service


def state_of(app: Starlette) -> ApiState:
    state: ApiState = app.state.byline
    return state
