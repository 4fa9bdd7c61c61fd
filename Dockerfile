# The bridge and the stream worker in one image: `docink serve` (default) or `docink worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY README.md ./
COPY avro ./avro
COPY bridge ./bridge
COPY streams ./streams
COPY devstack ./devstack
RUN pip install --no-deps . \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin docink \
    && mkdir -p /var/lib/docink-streams \
    && chown docink /var/lib/docink-streams

USER docink
ENV DOCINK_STREAMS_DATA_DIR=/var/lib/docink-streams
EXPOSE 8000 6066
CMD ["docink", "serve", "--port", "8000"]
