"""Revoke API keys by key, by prefix, or every key of a user."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import keys
from accounts.models import ApiKey


class Command(BaseCommand):
    help = "Revoke an API key (give the key or its prefix), or every key of a user (--user)."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("key", nargs="?", help="The key, or its prefix (`tsk_<prefix>_…` or `<prefix>`).")
        target.add_argument("--user", help="Revoke every key of this user.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["user"]:
            found = list(ApiKey.objects.filter(user__username=options["user"]))
        else:
            prefix = options["key"].removeprefix(keys.SCHEME).split("_", 1)[0]
            found = list(ApiKey.objects.filter(prefix=prefix))
        if not found:
            raise CommandError("No such key.")
        revoked = sum(keys.revoke(api_key) for api_key in found)
        self.stdout.write(
            f"revoked {revoked} key(s)" + (f", {len(found) - revoked} already revoked" if revoked < len(found) else "")
        )
