"""Request and response bodies of the public API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

Decision = Literal["answer", "clarify", "fallback", "handoff", "emergency", "crisis", "decline", "smalltalk"]
SESSION_ID = r"^[A-Za-z0-9_-]{8,64}$"


class ChatRequest(BaseModel):
    session_id: str = Field(pattern=SESSION_ID, description="Random id the widget keeps for one conversation.")
    text: str = Field(description="The resident's message.")
    lang: Literal["fi", "sv", "en"] | None = Field(None, description="Language chosen by the resident, if any.")
    label: str | None = Field(None, max_length=200, description="What the resident saw when `text` is a button payload.")

    @field_validator("text")
    @classmethod
    def text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value.strip()


class Source(BaseModel):
    id: str
    title: str
    url: str
    catalogue: list[str] = []


class ChatResponse(BaseModel):
    session_id: str
    messages: list[dict]
    decision: Decision
    reason: str | None = None
    sources: list[Source] = []
    lang: str
    confidence: float | None = None
    degraded: bool = False
    error: str | None = None


class ErrorResponse(BaseModel):
    error: str
    message: str
    details: list[dict] = []
