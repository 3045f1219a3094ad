"""Create the configured PostgreSQL database if it does not exist yet (for `make migrate`)."""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


class Command(BaseCommand):
    help = "Create the default PostgreSQL database if it is missing."

    def handle(self, *args: object, **options: object) -> None:
        db = settings.DATABASES["default"]
        if connections["default"].vendor != "postgresql":
            self.stdout.write("not a PostgreSQL database: nothing to create")
            return
        params = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"]}
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as connection:
                exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db["NAME"],)).fetchone()
                if not exists:
                    connection.execute(f'CREATE DATABASE "{db["NAME"]}"')
                    self.stdout.write(f"created database {db['NAME']}")
        except psycopg.Error as exc:
            raise CommandError(f"PostgreSQL at {db['HOST']}:{params['port']}: {exc}") from exc
