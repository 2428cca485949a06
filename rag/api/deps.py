"""FastAPI dependencies: the loaded components and the services built from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from rag.answering.service import AskService
from rag.errors import NotReady
from rag.wiring import Components


def components_of(app: FastAPI) -> Components:
    components: Components | None = getattr(app.state, "components", None)
    if components is None:
        error = getattr(app.state, "load_error", None)
        raise NotReady(f"failed to load: {error}" if error else "still loading the model and store")
    return components


def ask_service_of(app: FastAPI) -> AskService:
    service: AskService | None = getattr(app.state, "ask_service", None)
    if service is None:
        service = components_of(app).ask_service()
        service.on_answer = app.state.metrics.observe_answer
        app.state.ask_service = service
    return service


def get_components(request: Request) -> Components:
    return components_of(request.app)


def get_ask_service(request: Request) -> AskService:
    return ask_service_of(request.app)


ComponentsDep = Annotated[Components, Depends(get_components)]
AskServiceDep = Annotated[AskService, Depends(get_ask_service)]
