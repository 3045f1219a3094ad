"""Settings of the conventional peer: PEER_DATABASE_URL (PostgreSQL) and PEER_REDIS_URL."""

import os
from urllib.parse import urlsplit

database = urlsplit(os.environ.get("PEER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/peer_bench"))

SECRET_KEY = "a benchmark peer, never deployed"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_celery_results",
    "bench.peers.conventional",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.peers.conventional.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database.path.lstrip("/"),
        "USER": database.username or "postgres",
        "HOST": database.hostname or "127.0.0.1",
        "PORT": database.port or 5432,
    }
}
USE_TZ = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024  # a base64 photo in a JSON body
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}

CELERY_BROKER_URL = os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/11")
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
