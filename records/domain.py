"""A record: a uuid and a text. Insertion order is part of the contract (GET /all, GET /<count>)."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Record:
    uuid: uuid.UUID
    text: str

    def as_json(self) -> dict[str, str]:
        return {"uuid": str(self.uuid), "text": self.text}
