# Townhall in a container: installed from uv.lock, run as a non-root user, with a health
# check. NOT RUN YET: no container engine runs where this was written (only the docker
# client); tests/deploy/test_container.py checks what can be checked without one (every
# path and command below exists, the user, the lock, compose.yaml parses). See
# docs/operations.md, "Containers".
#   docker build -t townhall .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/townhall/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

# Korean text in PDF minutes needs a CJK font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
# The uv the Makefile pins (UV_VERSION), so the image installs exactly what uv.lock lists.
RUN pip install --no-cache-dir uv==0.13.10

WORKDIR /opt/townhall
COPY pyproject.toml uv.lock README.md LICENSE CHANGELOG.md ./
COPY facilitation ./facilitation
COPY realtime ./realtime
COPY townhall ./townhall
COPY frontend ./frontend
COPY deploy ./deploy
RUN uv sync --locked --no-dev \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/townhall townhall \
    && mkdir -p /var/lib/townhall \
    && chown townhall:townhall /var/lib/townhall

USER townhall
ENV PATH=/opt/townhall/.venv/bin:$PATH \
    TOWNHALL_HOST=0.0.0.0 \
    TOWNHALL_PORT=8000 \
    TOWNHALL_DATA_DIR=/var/lib/townhall \
    PROMETHEUS_MULTIPROC_DIR=/tmp/townhall-metrics
VOLUME ["/var/lib/townhall"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('TOWNHALL_PORT', '8000') + '/health', timeout=4)"]
CMD ["townhall", "serve"]
