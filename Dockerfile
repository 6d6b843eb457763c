# The API image: `espace serve` in production mode, several uvicorn workers.
# Build: docker build -t espace-sante .   Run it through docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY plugins ./plugins
COPY catalogue ./catalogue
# The s3 extra: production may keep contents in object storage (ESPACE_CONTENT_STORE=s3).
RUN pip install .[s3] \
    && useradd --system --uid 10001 --home-dir /var/lib/espace --create-home espace

USER espace
ENV ESPACE_ENV=production \
    ESPACE_HOST=0.0.0.0 \
    ESPACE_PORT=8000 \
    ESPACE_VAR_DIR=/var/lib/espace \
    ESPACE_CATALOGUE_DIR=/app/catalogue
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
CMD ["espace", "serve"]
