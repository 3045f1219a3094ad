"""Django settings. Every knob is an environment variable with a safe default (see README)."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from kombu import Queue

from core.env import env_bool, env_database, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))  # the SQLite file and the generated secret key

# GET /metrics: prometheus-client in multiprocess mode, each process (gunicorn worker, Celery
# worker) of a host writing its counts into files here, read and summed at each scrape. Set before
# any metric exists (prometheus-client reads it at import). Counts outlive restarts (counters
# only grow); empty it while the service is down to start from zero.
METRICS_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", str(DATA_DIR / "metrics")))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
METRICS_DIR.mkdir(parents=True, exist_ok=True)
METRICS_TOKEN = env_str("METRICS_TOKEN", "")  # /metrics wants `Authorization: Bearer <it>`; unset: closed


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or one generated once into DATA_DIR: every worker and restart must share
    it, or admin sessions would not survive a hop to another worker."""
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(get_random_secret_key())
        except FileExistsError:  # another worker wrote it first
            pass
        return path.read_text().strip()


SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])

INSTALLED_APPS = [
    "accounts.admin_config.ThrottledAdminConfig",  # django.contrib.admin, its login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "httpapi",
    "idempotency",
    "accounts",
    "tasks",
    "records",
    "judge0api",
    "web",
]

MIDDLEWARE = [
    "httpapi.metrics.RequestMetricsMiddleware",
    "httpapi.middleware.LengthRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, CSRF, auth and messages serve the admin; the API authenticates with keys only.
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "taskservice.urls"
WSGI_APPLICATION = "taskservice.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "taskservice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# The embedded default is a SQLite file (users, API keys, quotas); the in-memory task store does
# not touch it.
DATABASES = {
    "default": {
        **env_database(
            "DATABASE_URL",
            f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        ),
        # Tests: a name of their own per run, so concurrent suites on one server never collide.
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME", "") or None},
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "stores.postgres.backend"  # its health check costs no round trip
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Serve app static files (Swagger UI, ReDoc) straight from the installed packages: no
# collectstatic step, and nothing is fetched from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Task service -------------------------------------------------------------------------
# Where every app's data lives: one line per store (a folder under stores/), its package by its path.
STORES = {"memory": "stores.memory", "postgres": "stores.postgres"}
TASK_STORE = env_str("TASK_STORE", "memory", choices=tuple(STORES))
# What tasks can do: one line per kind (a folder under kinds/), its TaskKind by its path.
TASK_KINDS = ["kinds.sleep.kind.KIND", "kinds.image.kind.KIND", "kinds.code.kind.KIND", "kinds.matrix.kind.KIND"]
# Where tasks run: one line per executor (a folder under executors/), the class by its path.
TASK_EXECUTORS = {
    "threads": "executors.threads.executor.ThreadsExecutor",
    "celery": "executors.celery.executor.CeleryExecutor",
}
TASK_EXECUTOR = env_str("TASK_EXECUTOR", "threads", choices=tuple(TASK_EXECUTORS))
if TASK_STORE == "memory" and TASK_EXECUTOR == "celery":
    raise ImproperlyConfigured(
        "TASK_EXECUTOR=celery runs tasks in other processes, which cannot see TASK_STORE=memory: "
        "use TASK_STORE=postgres (with DATABASE_URL)."
    )
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3, minimum=1)
TASK_HEARTBEAT_SECONDS = env_float("TASK_HEARTBEAT_SECONDS", 5.0, minimum=0.1)
TASK_LOST_AFTER_SECONDS = env_float("TASK_LOST_AFTER_SECONDS", 30.0, minimum=1.0)
TASK_REAP_SECONDS = env_float("TASK_REAP_SECONDS", 10.0, minimum=0.1)  # lost tasks, orphans, overdue webhooks
# A queued task the executor never got, this long after its submit, is sent again (Celery only).
TASK_REDISPATCH_AFTER_SECONDS = env_float("TASK_REDISPATCH_AFTER_SECONDS", 30.0, minimum=0.1)
# How long a web process gathers the hand-offs it made before recording them in one statement
# (Celery only): well under the above, or a task would be sent twice (it still runs once).
TASK_HAND_OFF_RECORD_SECONDS = env_float("TASK_HAND_OFF_RECORD_SECONDS", 0.2, minimum=0.01, maximum=5.0)
TASK_WORKERS = env_int("TASK_WORKERS", os.cpu_count() or 1, minimum=1, maximum=256)
TASK_MAX_BATCH = env_int("TASK_MAX_BATCH", 20, minimum=1, maximum=1000)  # tasks per POST /tasks/batch
TASK_QUEUE_SIZE = env_int("TASK_QUEUE_SIZE", 10_000, minimum=1)
TASK_MAX_STORED = env_int("TASK_MAX_STORED", 100_000, minimum=1)
TASK_MAX_STORED_BYTES = env_int("TASK_MAX_STORED_BYTES", 1024**3, minimum=1)  # inputs + results, memory store
# One owner's share of either store (params, inputs and results), so no caller fills it for all.
TASK_MAX_STORED_BYTES_PER_OWNER = env_int("TASK_MAX_STORED_BYTES_PER_OWNER", 256 * 1024**2, minimum=1)
TASK_TTL_SECONDS = env_int("TASK_TTL_SECONDS", 24 * 3600, minimum=1)
TASK_SWEEP_SECONDS = env_float("TASK_SWEEP_SECONDS", 60.0, minimum=0.1)
TASK_SHUTDOWN_GRACE_SECONDS = env_float("TASK_SHUTDOWN_GRACE_SECONDS", 5.0, minimum=0.0)
# GET /status/{id}?wait and POST /task with `Prefer: wait`: the longest wait, and how many requests
# may wait at once per web process (each holds a thread: gunicorn gets that many threads more).
TASK_MAX_WAIT_SECONDS = env_float("TASK_MAX_WAIT_SECONDS", 30.0, minimum=0.0, maximum=3600.0)
TASK_MAX_WAITERS = env_int("TASK_MAX_WAITERS", 32, minimum=0, maximum=10_000)
TASK_MAX_WAITERS_PER_OWNER = env_int("TASK_MAX_WAITERS_PER_OWNER", 8, minimum=0)
# Signed webhooks (`callback_url`): attempts, backoff (exponential with jitter), the per-attempt
# timeout, delivery threads per process, and whether loopback and private addresses may be called.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 2.0, minimum=0.01)
WEBHOOK_RETRY_MAX_SECONDS = 300.0
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0, minimum=0.1, maximum=120.0)
WEBHOOK_WORKERS = 4  # delivery threads per executor process: each attempt mostly waits on the network
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# How long an Idempotency-Key (POST /task, POST /new) answers a retry with the first outcome.
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600, minimum=1)
TASK_RETRY_AFTER_SECONDS = 5  # Retry-After of a 503
SLEEP_MAX_SECONDS = env_float("SLEEP_MAX_SECONDS", 60.0, minimum=0.0, maximum=86_400.0)
# Room for a base64-encoded image of IMAGE_MAX_BYTES in a JSON body.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 28 * 1024 * 1024, minimum=1024)
# Django's own cap (2.5 MiB by default) would refuse what REQUEST_MAX_BYTES promises: the parsers enforce it.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000, minimum=1)
IMAGE_MAX_STEPS = env_int("IMAGE_MAX_STEPS", 20, minimum=1, maximum=1000)
# Frames of an animated image processed with output.animated (each counts against the pixel budget).
IMAGE_MAX_FRAMES = env_int("IMAGE_MAX_FRAMES", 100, minimum=1)
IMAGE_MAX_TIME_S = env_float("IMAGE_MAX_TIME_S", 30.0, minimum=0.1)  # CPU per task: estimated at submit, cut off
IMAGE_MAX_MEMORY_MB = env_int("IMAGE_MAX_MEMORY_MB", 1024, minimum=16)  # estimated peak per task, at submit
# Blur and sharpen in libvips where Debian's libvips42 is installed (2-3x faster), else Pillow.
IMAGE_LIBVIPS = env_bool("IMAGE_LIBVIPS", True)
IMAGE_MAX_JPEG_SCANS = 64  # each scan is a decoder pass; progressive JPEGs have about 10
CODE_MAX_SOURCE_BYTES = env_int("CODE_MAX_SOURCE_BYTES", 64 * 1024, minimum=1)
CODE_MAX_STDIN_BYTES = env_int("CODE_MAX_STDIN_BYTES", 1024 * 1024, minimum=0)
# Test cases per code submission: compiled once, each case run in a fresh sandbox.
CODE_MAX_TESTS = env_int("CODE_MAX_TESTS", 20, minimum=1)
CODE_MAX_RUNS = env_int("CODE_MAX_RUNS", 20, minimum=1)  # runs of one program, timed together (Judge0's number_of_runs)
CODE_MAX_TIME_S = env_float("CODE_MAX_TIME_S", 10.0, minimum=0.1)
CODE_MAX_MEMORY_MB = env_int("CODE_MAX_MEMORY_MB", 1024, minimum=16)
CODE_MAX_OUTPUT_KB = env_int("CODE_MAX_OUTPUT_KB", 8192, minimum=1)
CODE_MAX_PROCESSES = env_int("CODE_MAX_PROCESSES", 64, minimum=1)
CODE_MAX_FILE_KB = env_int("CODE_MAX_FILE_KB", 16 * 1024, minimum=1)
CODE_COMPILE_TIME_S = env_float("CODE_COMPILE_TIME_S", 20.0, minimum=1.0)
CODE_COMPILE_MEMORY_MB = env_int("CODE_COMPILE_MEMORY_MB", 2048, minimum=64)
CODE_SANDBOX_UID_BASE = env_int("CODE_SANDBOX_UID_BASE", 60_001, minimum=1000)
# Runs at once on the whole host (every service process shares the range, leased by flock).
CODE_SANDBOX_UIDS = env_int("CODE_SANDBOX_UIDS", 64, minimum=1, maximum=10_000)
CODE_SANDBOX_LOCK_DIR = "/run/taskservice-uids"  # the uid leases (flock), root-owned
CODE_MAX_DISK_MB = env_int("CODE_MAX_DISK_MB", 64, minimum=1)  # /work of one run: a tmpfs of this size
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)
RECORDS_MAX_TEXT = env_int("RECORDS_MAX_TEXT", 10_000, minimum=1)
RECORDS_MAX_ITEMS = env_int("RECORDS_MAX_ITEMS", 1_000, minimum=1)
RECORDS_MAX_COUNT = env_int("RECORDS_MAX_COUNT", 10_000, minimum=0)
RECORDS_MAX_STORED = env_int("RECORDS_MAX_STORED", 1_000_000, minimum=1)  # in-memory store only
RECORDS_MAX_STORED_BYTES = env_int("RECORDS_MAX_STORED_BYTES", 512 * 1024**2, minimum=1)  # in-memory store only
# What one caller may hold of those two caps (a fraction of each): one address cannot fill the store.
RECORDS_SHARE_ANON = env_float("RECORDS_SHARE_ANON", 0.05, minimum=0.0, maximum=1.0)
RECORDS_SHARE_USER = env_float("RECORDS_SHARE_USER", 0.25, minimum=0.0, maximum=1.0)
# What one caller may save per QUOTA_WINDOW_SECONDS (POST /new): records and bytes of text.
RECORDS_QUOTA_USER_ITEMS = env_int("RECORDS_QUOTA_USER_ITEMS", 600_000, minimum=0)
RECORDS_QUOTA_USER_BYTES = env_int("RECORDS_QUOTA_USER_BYTES", 256 * 1024**2, minimum=0)
RECORDS_QUOTA_ANON_ITEMS = env_int("RECORDS_QUOTA_ANON_ITEMS", 120_000, minimum=0)
RECORDS_QUOTA_ANON_BYTES = env_int("RECORDS_QUOTA_ANON_BYTES", 16 * 1024**2, minimum=0)

# --- Access and quotas ------------------------------------------------------------------------
ALLOW_ANONYMOUS = env_bool("ALLOW_ANONYMOUS", True)
ALLOW_REGISTRATION = env_bool("ALLOW_REGISTRATION", True)  # POST /register
LOGIN_TOKEN_TTL = env_int("LOGIN_TOKEN_TTL", 24 * 3600, minimum=60)  # seconds a POST /login token lasts
# Per QUOTA_WINDOW_SECONDS: registrations and login attempts per address, failed logins per username.
REGISTRATIONS_PER_ADDRESS = env_int("REGISTRATIONS_PER_ADDRESS", 10, minimum=0)
LOGIN_ATTEMPTS_PER_ADDRESS = env_int("LOGIN_ATTEMPTS_PER_ADDRESS", 20, minimum=0)
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 10, minimum=0)
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8, minimum=1, maximum=128)
API_KEY_CACHE_SECONDS = env_float("API_KEY_CACHE_SECONDS", 5.0, minimum=0.0, maximum=3600.0)
QUOTA_WINDOW_SECONDS = env_int("QUOTA_WINDOW_SECONDS", 60, minimum=1, maximum=86_400)
QUOTA_USER_IN_PROGRESS = env_int("QUOTA_USER_IN_PROGRESS", 4, minimum=0)
QUOTA_USER_SUBMISSIONS = env_int("QUOTA_USER_SUBMISSIONS", 60, minimum=0)
QUOTA_ANON_IN_PROGRESS = env_int("QUOTA_ANON_IN_PROGRESS", 1, minimum=0)
QUOTA_ANON_SUBMISSIONS = env_int("QUOTA_ANON_SUBMISSIONS", 10, minimum=0)
QUOTA_ANON_CODE_TIME_S = env_float("QUOTA_ANON_CODE_TIME_S", 2.0, minimum=0.1)
QUOTA_ANON_CODE_MEMORY_MB = env_int("QUOTA_ANON_CODE_MEMORY_MB", 256, minimum=16)
QUOTA_ANON_IMAGE_PIXELS = env_int("QUOTA_ANON_IMAGE_PIXELS", 4_000_000, minimum=1)
QUOTA_ANON_IMAGE_STEPS = env_int("QUOTA_ANON_IMAGE_STEPS", 5, minimum=1)
QUOTA_ANON_IMAGE_TIME_S = env_float("QUOTA_ANON_IMAGE_TIME_S", 5.0, minimum=0.1)
QUOTA_ANON_IMAGE_MEMORY_MB = env_int("QUOTA_ANON_IMAGE_MEMORY_MB", 256, minimum=16)
QUOTA_ANON_STORED_BYTES = env_int("QUOTA_ANON_STORED_BYTES", 32 * 1024**2, minimum=1)  # per address
# The rate quota is counted here: set CACHE_URL (Redis) whenever more than one process serves.
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "taskservice",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "taskservice"}
    )
}

# --- Celery (TASK_EXECUTOR=celery) -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True  # a task's message is acknowledged only once it has run...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ...and goes back to the queue if its worker dies
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds only the task it runs
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # results live in the task store, not in Celery
# Celery's Django fixup closes every database connection before and after each task unless this is
# set: a reconnect per task was most of a tiny task's cost. Connections are kept (CONN_MAX_AGE) and
# checked at each task's start instead, as at a request's (taskservice/celery.py).
CELERY_DB_REUSE_MAX = 10**9
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Redis re-delivers an unacknowledged message this long after it was taken (a dead worker's).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=10),
    # ...checked every 10 s (kombu's default scans every 10th check: a message a worker held when
    # the broker went down came back up to 100 s after its visibility timeout).
    "unacked_restore_throttle": 1,
}
# Fairness across owners: each owner's tasks go to one of these queues (executors/celery/executor.py).
TASK_FAIR_LANES = 8  # web and workers must agree on the queue names, so not a per-process knob
TASK_LANE_PREFIX = "tasks-lane-"
CELERY_TASK_DEFAULT_QUEUE = "celery"  # the periodic jobs
CELERY_TASK_QUEUES = [Queue("celery"), *(Queue(f"{TASK_LANE_PREFIX}{n}") for n in range(TASK_FAIR_LANES))]
CELERY_BEAT_SCHEDULE = {
    "reap-lost-tasks": {"task": "tasks.jobs.reap_lost_tasks", "schedule": TASK_REAP_SECONDS},
    "redispatch-orphans": {"task": "tasks.jobs.redispatch_orphans", "schedule": TASK_REAP_SECONDS},
    "redeliver-webhooks": {"task": "tasks.jobs.redeliver_callbacks", "schedule": TASK_REAP_SECONDS},
    "purge-expired-tasks": {"task": "tasks.jobs.purge_expired_tasks", "schedule": TASK_SWEEP_SECONDS},
    "purge-expired-idempotency-keys": {"task": "idempotency.jobs.purge_expired_keys", "schedule": TASK_SWEEP_SECONDS},
}

# --- REST framework and OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["httpapi.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    # Anonymous callers are told apart by address: REMOTE_ADDR, or the X-Forwarded-For entry set
    # by the last of this many trusted proxies (0: the header is ignored, it is the client's to forge).
    "NUM_PROXIES": env_int("TRUSTED_PROXIES", 0, minimum=0),
    "EXCEPTION_HANDLER": "httpapi.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "taskservice",
    "DESCRIPTION": (
        "Rent compute: submit a long-running task, get its id at once, poll its status and "
        "fetch its result. Every error is an RFC 9457 problem details document "
        "(`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums stay inline where they are used: no shared enum components whose names collide as
    # kinds and ops add their own single-value `kind`/`op` enums.
    "POSTPROCESSING_HOOKS": [],
    "TAGS": [
        {"name": "tasks", "description": "Submit tasks, follow them, fetch their results."},
        {"name": "records", "description": "The record store: save, read, stream and delete records."},
        {"name": "access", "description": "Who is calling, with their quotas and current use."},
        {"name": "service", "description": "Health and readiness probes."},
        {
            "name": "judge0",
            "description": "Judge0 CE 1.13.1's API over the code runner, for Judge0's clients (docs/judge0.md). The "
            "API key goes as `Authorization: Bearer` or Judge0's `X-Auth-Token`; Judge0's own errors keep "
            "Judge0's shapes.",
        },
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}},  # the records client's every request is not news
}
