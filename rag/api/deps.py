"""FastAPI dependencies: the loaded components and the services built from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.answering.service import AskService
from rag.api.state import state_of
from rag.wiring import Components


def get_components(request: Request) -> Components:
    return state_of(request.app).ready()


def get_ask_service(request: Request) -> AskService:
    return state_of(request.app).ask_service()


ComponentsDep = Annotated[Components, Depends(get_components)]
AskServiceDep = Annotated[AskService, Depends(get_ask_service)]
