#!/usr/bin/env bash
# make run: migrate, seed the demo, then serve the portal with a Celery worker and beat.
set -euo pipefail
PY=.venv/bin/python
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
export DEBUG="${DEBUG:-true}"

# --- The governed gateway (DESIGN §8): with no upstream configured, a local stand-in answers ----
GATEWAY_PORT="${GATEWAY_PORT:-8001}"
export GATEWAY_PORT
if [ -z "${GATEWAY_UPSTREAM_URL:-}" ] && ! env | grep -q '^GATEWAY_UPSTREAM_URL_'; then
  GATEWAY_STANDIN_PORT="${GATEWAY_STANDIN_PORT:-8002}"
  export GATEWAY_UPSTREAM_URL="http://127.0.0.1:$GATEWAY_STANDIN_PORT/v1"
  START_STANDIN=1
  echo "No GATEWAY_UPSTREAM_URL: the gateway relays to a local stand-in with deterministic answers at $GATEWAY_UPSTREAM_URL"
fi
start_gateway() {
  if [ -n "${START_STANDIN:-}" ]; then
    $PY -m gateway.standin --host 127.0.0.1 --port "$GATEWAY_STANDIN_PORT" &
  fi
  $PY -m gateway --host "$HOST" --port "$GATEWAY_PORT" &
  echo "The gateway serves /v1/… at http://$HOST:$GATEWAY_PORT with each environment's credential"
}

if [ -z "${DATABASE_URL:-}" ]; then
  echo "No DATABASE_URL set: using the embedded SQLite database var/portal.sqlite3, with background jobs"
  echo "run in-process. This is a demo mode: row-level security and the worker need PostgreSQL and Redis."
  $PY manage.py migrate --noinput
  $PY manage.py seed_demo
  trap 'trap - EXIT; kill 0' EXIT INT TERM
  start_gateway
  echo "(In this mode policies are published to Redis at once, if it is reachable; usage is folded only by a beat.)"
  echo "Serving the portal at http://$HOST:$PORT (sign in as amelie / ${DEMO_PASSWORD:-portal-demo-2026})"
  $PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 1 --threads 4 --access-logfile - &
  wait -n
  exit $?
fi

$PY scripts/check_services.py --create-database
$PY manage.py migrate --noinput
$PY manage.py seed_demo
trap 'trap - EXIT; kill 0' EXIT INT TERM
$PY -m celery -A portal worker -l INFO --concurrency 2 -n "portal-worker@%h" &
$PY -m celery -A portal beat -l INFO --pidfile= &
start_gateway
echo "Serving the portal at http://$HOST:$PORT with a worker and beat (sign in as amelie / ${DEMO_PASSWORD:-portal-demo-2026})"
$PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - &
wait -n
