# The two commands: `make run` (serve on the embedded defaults) and `make test` (the whole suite).
# Both create .venv and install the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt client/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: api-key run run-records run-cluster worker beat migrate test lint format schema bench bench-image bench-code bench-scale bench-records bench-fairness bench-matrix bench-soak bench-downloads container-smoke clean

$(STAMP): requirements.txt requirements-dev.txt client/pyproject.toml
	@$(PYTHON) -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Need Python >= 3.11 with the venv module (Debian: apt-get install python3 python3-venv)." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

api-key: $(STAMP)  ## An API key for user=<name> (made if missing) on the embedded default: make api-key user=alice
	@test -n "$(user)" || { echo "usage: make api-key user=<name>" >&2; exit 2; }
	@$(BIN)/python manage.py migrate -v 0
	@$(BIN)/python manage.py create_api_key "$(user)" --create-user

run: $(STAMP)  ## Serve on http://$${HOST:-127.0.0.1}:$${PORT:-8000} with the in-memory store and in-process threads.
	exec $(BIN)/gunicorn -c taskservice/gunicorn.conf.py

# The suite needs the PostgreSQL and Redis it tests against (TEST_DATABASE_URL, TEST_REDIS_URL), and
# bubblewrap, compilers and chromium: scripts/prepare-test-machine installs or starts what is missing.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Test processes (pytest-xdist): each test file runs whole in one of them. 1 runs it all in one.
TEST_WORKERS ?= 2

run-records: $(STAMP)  ## The server and the records load client together; Ctrl-C stops both.
	$(BIN)/gunicorn -c taskservice/gunicorn.conf.py & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait $$server' EXIT INT TERM; \
	$(BIN)/python manage.py records_client --url http://$${HOST:-127.0.0.1}:$${PORT:-8000} \
	  --report-every $${REPORT_EVERY:-10} --concurrency $${CONCURRENCY:-1}

# The distributed setup: PostgreSQL store, Celery executor (broker: Redis by default).
CLUSTER_ENV = TASK_STORE=postgres TASK_EXECUTOR=celery \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/taskservice} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

migrate: $(STAMP)  ## Create the database (if missing) and apply migrations.
	$(CLUSTER_ENV) $(BIN)/python manage.py createdb_if_missing
	$(CLUSTER_ENV) $(BIN)/python manage.py migrate

worker: $(STAMP)  ## One executor worker: celery -A taskservice worker.
	$(CLUSTER_ENV) exec $(BIN)/celery -A taskservice worker -l info --concurrency $${WORKER_CONCURRENCY:-1}

beat: $(STAMP)  ## The scheduler: re-runs tasks of lost workers, expires old tasks.
	$(CLUSTER_ENV) exec $(BIN)/celery -A taskservice beat -l info -s var/celerybeat-schedule

run-cluster: migrate  ## Foreground: gunicorn x2, two Celery workers and beat; Ctrl-C stops them all.
	mkdir -p var
	$(CLUSTER_ENV) WEB_CONCURRENCY=$${WEB_CONCURRENCY:-2} $(BIN)/python manage.py run_cluster --workers 2

test: $(STAMP)  ## The whole suite: unit, contract, API, end-to-end (real gunicorn), schemathesis.
	scripts/prepare-test-machine
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_DATABASE_NAME=test_taskservice_$$$$ TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)  ## Validate the OpenAPI document (fails on warnings).
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi.yaml

bench: $(STAMP)  ## API benchmark against a live gunicorn (needs wrk: apt-get install wrk).
	$(BIN)/python bench/api.py

bench-image: $(STAMP)  ## Photo editor benchmark: five pipelines, the service against careful Pillow and pyvips (apt-get install libvips42).
	$(BIN)/python bench/image.py

bench-code: $(STAMP)  ## Code runner benchmark: the service against direct subprocess and the sandbox alone.
	$(BIN)/python bench/code.py

bench-scale: $(STAMP)  ## Memory+threads against PostgreSQL+Celery with 1 and 2 workers (needs PostgreSQL, Redis).
	$(BIN)/python bench/scale.py

bench-records: $(STAMP)  ## Records: client workload per store, GET /all time and memory at 100k and 1M records.
	$(BIN)/python bench/records.py

bench-fairness: $(STAMP)  ## Queue wait of a small task behind four neighbours' backlogs (fair turns per owner).
	$(BIN)/python bench/fairness.py

bench-matrix: $(STAMP)  ## Matrix kind: n=1024 float64 products through the service against direct numpy, same cores.
	$(BIN)/python bench/matrix.py

bench-downloads: $(STAMP)  ## Web worker memory while 6 clients download one 320 MiB result, and after its delete.
	$(BIN)/python bench/downloads.py

bench-soak: $(STAMP)  ## Soak: mixed honest and hostile traffic for 10 min; latency, RSS and leftovers over time.
	$(BIN)/python bench/soak.py --minutes $${MINUTES:-10}

container-smoke:  ## Build the Dockerfile with podman, check the image serves tasks, then runs Java when run --privileged.
	../shared/tools/container-smoke --health /healthz -- sh -c 'python3 .ci/smoke_check.py && .ci/smoke_privileged'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis var test-artifacts
