"""Issue an API key; the key alone goes to stdout, so `KEY=$(manage.py create_api_key ...)` works."""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import keys


class Command(BaseCommand):
    help = "Create an API key for a user (shown once: it is stored only as a hash)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the key is for.")
        parser.add_argument("--create-user", action="store_true", help="Create the user if there is none.")
        parser.add_argument("--staff", action="store_true", help="With --create-user: make the user staff.")
        parser.add_argument("--expires-in-days", type=float, help="Default: the key never expires.")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            if not options["create_user"]:
                raise CommandError(f"No user {options['username']!r}; pass --create-user to create one.")
            user = User.objects.create_user(options["username"], is_staff=options["staff"])
            self.stderr.write(f"created user {user.username!r} (no password: set one to use the admin)")
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be positive.")
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        api_key, key = keys.issue(user, name=options["name"], expires_at=expires_at)
        self.stderr.write(
            f"key tsk_{api_key.prefix}_… for {user.username!r}"
            + (f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "")
        )
        self.stdout.write(key)
