"""Build the code runner's sandbox helpers now (the Docker image does this at build time)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sandbox.helpers import HelpersUnavailable, build, helper_dir


class Command(BaseCommand):
    help = "Compile launch.c and supervise.c into CODE_HELPER_DIR (default: <python prefix>/libexec/taskservice)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            built = build(helper_dir())
        except HelpersUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{built.launch}\n{built.supervise}\n")
