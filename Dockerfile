# taskservice: gunicorn serving the Django app. Build: docker build -t taskservice .
# Run: docker run -p 8000:8000 --privileged --user root taskservice   (PORT changes the port inside)
# The code runner's bubblewrap sandbox mounts a /proc of its own, which a container's masked /proc
# forbids: without --privileged (or, rlimits only, --security-opt seccomp=unconfined
# --security-opt apparmor=unconfined --security-opt systempaths=unconfined) code tasks answer 503.
# Runtimes bounded by a cgroup alone (the JVM, Go, Node, BEAM, Mono...: docs/languages.md) are
# offered only where runs get one: as root (--user root) with cgroups writable (--privileged).
# The code runner's languages: LANGUAGES=core (python, c, cpp, java, javascript, typescript, go,
# rust, bash, ruby, php) or LANGUAGES=all (every language docs/languages.md lists as offered):
#   docker build --build-arg LANGUAGES=all -t taskservice .

# The virtualenv and the application, gathered in a small image: the final image then takes each
# in one layer after its (large) toolchain layer, and storage drivers without copy-on-write copy
# the toolchains once per layer.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt
WORKDIR /app
COPY manage.py ./
COPY taskservice ./taskservice
COPY httpapi ./httpapi
COPY idempotency ./idempotency
COPY tasks ./tasks
COPY kinds ./kinds
COPY executors ./executors
COPY stores ./stores
COPY records ./records
COPY accounts ./accounts
COPY web ./web
COPY judge0api ./judge0api
COPY sandbox ./sandbox
COPY core ./core

FROM python:3.11-slim
ARG LANGUAGES=core
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["gunicorn", "-c", "taskservice/gunicorn.conf.py"]
# bubblewrap: the code runner's sandbox; libseccomp-dev: the sandbox supervisor's syscall filter
# (linked statically below); libvips42: the photo editor's blur and sharpen (pixels only: its
# loaders are blocked); then the toolchains (gcc is also what builds the sandbox's helpers).
COPY scripts/install-toolchains /tmp/install-toolchains
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap libseccomp-dev libvips42 \
 && /tmp/install-toolchains "$LANGUAGES" \
 && rm -rf /var/lib/apt/lists/* /tmp/install-toolchains \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
 && install -d -o app -g app -m 700 /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The sandbox's C helpers, built now as root into /opt/venv/libexec/taskservice: the app user
# runs them but cannot change them.
RUN DATA_DIR=/tmp/build-data python manage.py build_sandbox_helpers && rm -rf /tmp/build-data
# The embedded default's SQLite file (users, API keys) and generated secret key: mount a volume
# here to keep them. Keys: docker exec <container> python manage.py create_api_key <user> --create-user
VOLUME /data
USER app
