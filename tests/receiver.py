"""A webhook receiver for tests: an HTTP server on 127.0.0.1 that verifies each delivery's
signature the way the README tells users to, and answers as the test says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str
    secret: str = ""
    answers: list[int] = field(default_factory=list)  # status per delivery, then 200
    delay: float = 0.0
    deliveries: list[dict] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def verified(self, headers: dict[str, str], body: bytes) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        given = [part.removeprefix("v1,") for part in headers["webhook-signature"].split() if part.startswith("v1,")]
        return any(hmac.compare_digest(expected, signature) for signature in given)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout), self.deliveries
            return list(self.deliveries)


@contextmanager
def receiver(**options: object) -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.received()

        def do_PUT(self) -> None:  # Judge0's callbacks
            self.received()

        def received(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            time.sleep(state.delay)
            with state.arrived:
                status = state.answers[len(state.deliveries)] if len(state.deliveries) < len(state.answers) else 200
                state.deliveries.append(
                    {
                        "method": self.command,
                        "headers": headers,
                        "body": json.loads(body),
                        "raw": body,
                        "status": status,
                        "at": time.time(),
                    }
                )
                state.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", **options)  # type: ignore[arg-type]
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
