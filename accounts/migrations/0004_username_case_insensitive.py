"""Usernames are unique whatever their case: `Alice` and `alice` were two users, so one could pass
for the other in logs, the admin and every page that shows a name. An expression index holds it
for every writer (POST /register, the admin, manage.py); PostgreSQL and SQLite both take it."""

from django.db import migrations

INDEX = "accounts_username_lower"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_webhook_secret"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (lower(username))",
            f"DROP INDEX {INDEX}",
        )
    ]
