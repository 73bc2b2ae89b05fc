FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/castbot.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY providers ./providers
COPY storage ./storage
RUN pip install --no-cache-dir . \
    && useradd --system --create-home --uid 10001 castbot \
    && mkdir -p /data \
    && chown castbot /data

USER castbot
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
