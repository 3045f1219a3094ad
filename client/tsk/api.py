"""The service's public HTTP API as tsk uses it; every refusal becomes a Problem (RFC 9457)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tsk import __version__

# How long one status request may wait for the task to finish (`GET /status/{id}?wait=`): the
# progress bar moves once a wait, and a finish answers at once.
WAIT_SECONDS = 1.0


class Problem(Exception):
    """The service refused: its problem document, and Retry-After if it gave one."""

    def __init__(self, status: int, body: dict[str, Any], retry_after: str | None = None) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        super().__init__(self.line())

    @property
    def slug(self) -> str:
        return str(self.body.get("type", "")).rsplit(":", 1)[-1]

    def line(self) -> str:
        """One readable line: what was refused, why, and what to do about it."""
        title = self.body.get("title") or f"HTTP {self.status}"
        detail = self.body.get("detail") or ""
        text = f"{title} ({self.status})" + (f": {detail}" if detail and detail != title else "")
        if "quota" in self.body:
            used, limit = self.body.get("used"), self.body.get("limit")
            text += f" [quota {self.body['quota']}: {used} of {limit} used"
            text += f"; retry in {self.retry_after} s]" if self.retry_after else "]"
        elif self.retry_after:
            text += f" [retry in {self.retry_after} s]"
        return text

    def field_lines(self) -> list[str]:
        return [f"{error.get('pointer', '')}: {error.get('detail', '')}" for error in self.body.get("errors", [])]


class Unreachable(Exception):
    """No answer from the service (not running, wrong URL, network down) or a 5xx without a problem."""


class Api:
    def __init__(self, url: str, key: str | None, *, timeout: float = 30.0) -> None:
        headers = {"User-Agent": f"tsk/{__version__}", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.url = url
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.url}: {exc}") from None
        if response.status_code < 400:
            return response
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 500:
                raise Unreachable(f"{self.url} answered {response.status_code}")
            body = {"title": response.reason_phrase, "status": response.status_code}
        raise Problem(response.status_code, body, response.headers.get("Retry-After"))

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def submit(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.json("POST", "/task", json={"kind": kind, "params": params})

    def submit_form(self, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self.json("POST", "/task", data=fields, files=files)

    def status(self, task_id: str, wait: float | None = None) -> dict[str, Any]:
        params = {"wait": f"{wait:g}"} if wait else None
        # A wait holds the request open: the read timeout must outlast it.
        return self.json("GET", f"/status/{checked(task_id)}", params=params, timeout=(wait or 0) + 30)

    def result(self, task_id: str) -> httpx.Response:
        """The result as the service sends it: JSON, or the bytes of a file (an image, a .npy)."""
        return self.request("GET", f"/result/{checked(task_id)}", headers={"Accept": "*/*"})

    def cancel(self, task_id: str) -> dict[str, Any]:
        return self.json("POST", f"/task/{checked(task_id)}/cancel")


def checked(task_id: str) -> str:
    """A task id as the service writes it; anything else is refused here, before any request."""
    try:
        return str(uuid.UUID(task_id))
    except ValueError:
        raise ValueError(f"{task_id!r} is not a task id (a UUID)") from None
