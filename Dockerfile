# The portal's image: the design system is compiled in a Node stage (the current Node LTS), the app
# runs on Python 3.11 as an unprivileged user, served by gunicorn (gunicorn.conf.py), with hashed
# and compressed static files collected at build time. No key or secret is in the image: they are
# mounted as files at run time (docker compose secrets, Kubernetes secrets).
FROM node:24-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static/src static/src
RUN npm run build

# The translations: the catalogues (.po) are in the repository, their compiled form (.mo) is not;
# it is made here with GNU gettext's msgfmt, which the run-time image does not carry.
FROM python:3.11-slim-bookworm AS messages
RUN apt-get update && apt-get install --no-install-recommends -y gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY locale locale
RUN for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check --output-file "${po%.po}.mo" "$po" || exit 1; done

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/app/var/media
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin portal
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules/govuk-frontend/dist/govuk node_modules/govuk-frontend/dist/govuk
COPY --from=assets /app/static/build static/build
COPY --from=messages /app/locale locale
# collectstatic needs the settings to load, and production settings refuse to load without their
# pieces: these placeholders exist only for this build step, and nothing here reads them.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build \
    EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend PORTAL_MASTER_KEY=build LEDGER_SIGNING_KEY=build \
    CERTIFICATE_KEY=build python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R portal:portal /app/var
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "portal.wsgi"]
