#!/usr/bin/env bash
# make run: migrate, seed the demo, then serve the portal with a Celery worker and beat.
set -euo pipefail
PY=.venv/bin/python
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
export DEBUG="${DEBUG:-true}"

if [ -z "${DATABASE_URL:-}" ]; then
  echo "No DATABASE_URL set: using the embedded SQLite database var/portal.sqlite3, with background jobs"
  echo "run in-process. This is a demo mode: row-level security and the worker need PostgreSQL and Redis."
  $PY manage.py migrate --noinput
  $PY manage.py seed_demo
  echo "Serving the portal at http://$HOST:$PORT (sign in as amelie / ${DEMO_PASSWORD:-portal-demo-2026})"
  exec $PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 1 --threads 4 --access-logfile -
fi

$PY scripts/check_services.py --create-database
$PY manage.py migrate --noinput
$PY manage.py seed_demo
trap 'trap - EXIT; kill 0' EXIT INT TERM
$PY -m celery -A portal worker -l INFO --concurrency 2 -n "portal-worker@%h" &
$PY -m celery -A portal beat -l INFO --pidfile= &
echo "Serving the portal at http://$HOST:$PORT with a worker and beat (sign in as amelie / ${DEMO_PASSWORD:-portal-demo-2026})"
$PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - &
wait -n
