"""Where tsk finds the service and the caller's key: the environment first, then the token
`tsk login` stored in the user's config directory (a file only its owner can read)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    url: str
    key: str | None


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tsk" / "config.json"


def stored() -> dict[str, str]:
    try:
        data = json.loads(config_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load(url: str | None = None, key: str | None = None) -> Settings:
    """Command-line values win, then TASKSERVICE_URL / TASKSERVICE_KEY, then the stored login
    (its token only for the URL it was issued by)."""
    saved = stored()
    url = (url or os.environ.get("TASKSERVICE_URL") or saved.get("url") or DEFAULT_URL).rstrip("/")
    key = key or os.environ.get("TASKSERVICE_KEY") or (saved.get("token") if saved.get("url") == url else None)
    return Settings(url, key or None)


def save_login(url: str, username: str, token: str, expires_at: str | None) -> Path:
    """Write the token with 0600 permissions (the directory 0700), never readable by others even
    for a moment: the file is created with its mode, then replaced in one rename."""
    path = config_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        json.dump({"url": url, "username": username, "token": token, "expires_at": expires_at}, file)
    os.replace(temporary, path)
    return path


def forget_login() -> bool:
    try:
        config_file().unlink()
    except FileNotFoundError:
        return False
    return True
