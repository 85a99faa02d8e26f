# Browser assets (socket.io-client, signature_pad) from npm, pinned by package-lock.json.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
# WeasyPrint's Pango, CJK fonts for documents, poppler for pdfsig checks.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hearings hearings
COPY signaling signaling
COPY media media
COPY docforge docforge
COPY web web
COPY --from=assets /build/node_modules/socket.io-client/dist/socket.io.esm.min.js \
     /build/node_modules/signature_pad/dist/signature_pad.js web/static/vendor/
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/yunting yunting \
    && mkdir -p /var/lib/yunting && chown yunting /var/lib/yunting
USER yunting
ENV YUNTING_HOST=0.0.0.0 YUNTING_DATA_DIR=/var/lib/yunting
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
# The schema is brought up to date before serving (Alembic takes a lock-free, idempotent
# path when it is current already); run one app container while a migration is new.
CMD ["sh", "-c", "yunting db upgrade && exec yunting serve"]
