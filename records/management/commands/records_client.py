"""`python manage.py records_client`: load a records server forever (see records/client.py)."""

import asyncio
import contextlib

from django.core.management.base import BaseCommand

from records.client import STYLES, RecordsClient, summary


class Command(BaseCommand):
    help = "Insert and delete records against a records server, reporting deletions every interval."

    def add_arguments(self, parser: object) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server (default %(default)s).")
        parser.add_argument("--duration", type=float, default=None, help="Seconds to run (default: forever).")
        parser.add_argument("--report-every", type=float, default=10.0, help="Seconds between reports (default 10).")
        parser.add_argument("--concurrency", type=int, default=1, help="Inserting and deleting loops of each kind.")
        parser.add_argument(
            "--style",
            choices=STYLES,
            default="batch",
            help="batch: 10..100 records per POST /new; single: one object per request, as the "
            "seed author's client sends (default %(default)s).",
        )

    def handle(
        self,
        *args: object,
        url: str,
        duration: float | None,
        report_every: float,
        concurrency: int,
        style: str,
        **options: object,
    ) -> None:
        client = RecordsClient(url, concurrency=concurrency, report_every=report_every, style=style)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop, then still print the summary
            asyncio.run(client.run(duration))
        self.stdout.write(summary(client.counters))
