"""FastAPI dependencies: the loaded components and the services built from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.components import Components
from rag.errors import NotReady
from rag.service import AskService


def get_components(request: Request) -> Components:
    components: Components | None = getattr(request.app.state, "components", None)
    if components is None:
        error = getattr(request.app.state, "load_error", None)
        raise NotReady(f"failed to load: {error}" if error else "still loading the model and store")
    return components


def get_ask_service(request: Request, components: ComponentsDep) -> AskService:
    service: AskService | None = getattr(request.app.state, "ask_service", None)
    if service is None:
        service = request.app.state.ask_service = components.ask_service()
    return service


ComponentsDep = Annotated[Components, Depends(get_components)]
AskServiceDep = Annotated[AskService, Depends(get_ask_service)]
