"""Who is calling: an owner string for every caller, and what the caller may use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Owners: "user:<id>" for a user's tasks; "anon:<address>" for anonymous ones. An anonymous task
# belongs to whoever holds its id (the UUID is the capability) and is never listed; the address
# only counts the caller's tasks in progress against the anonymous quota.
ANONYMOUS_OWNER_PREFIX = "anon:"
USER_OWNER_PREFIX = "user:"


def user_owner(user_id: int) -> str:
    return f"{USER_OWNER_PREFIX}{user_id}"


def anonymous_owner(address: str) -> str:
    return ANONYMOUS_OWNER_PREFIX + address


def held_by_id(owner: str | None) -> bool:
    """True when the id alone grants access: anonymous tasks (and unowned ones made in-process)."""
    return owner is None or owner.startswith(ANONYMOUS_OWNER_PREFIX)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who submits, and what they may use: built per request from the key or the address."""

    owner: str
    anonymous: bool
    max_in_progress: int
    submissions_per_window: int
    # kind -> limit -> the most one of the caller's tasks may ask (the kinds declare the limits).
    ceilings: Mapping[str, Mapping[str, float]]
    max_stored_bytes: int | None = None  # inputs + results the owner's tasks may hold at once
