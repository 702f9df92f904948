"""Talking to the Rasa server over its REST channel."""

from __future__ import annotations

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer in time, refused the connection or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=2.0))

    async def send(self, sender: str, text: str, metadata: dict) -> list[dict]:
        try:
            response = await self._client.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(f"{type(error).__name__}: {error}") from error

    async def is_up(self) -> bool:
        try:
            response = await self._client.get(f"{self.base_url}/", timeout=2.0)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._client.aclose()
