#!/usr/bin/env bash
# make run: migrate, seed the demo, then serve the portal with a Celery worker and beat.
set -euo pipefail
PY=.venv/bin/python
# PORT, HOST, GATEWAY_PORT, and the links' addresses derived from them.
source "$(dirname "$0")/run_env.sh"
export DEBUG="${DEBUG:-true}"

# --- The governed gateway (DESIGN §8): with no upstream configured, a local stand-in answers ----
START_STANDIN=""  # this script's own, never taken from the environment
if [ -z "${GATEWAY_UPSTREAM_URL:-}" ] && ! env | grep -q '^GATEWAY_UPSTREAM_URL_'; then
  GATEWAY_STANDIN_PORT="${GATEWAY_STANDIN_PORT:-8002}"
  export GATEWAY_UPSTREAM_URL="http://127.0.0.1:$GATEWAY_STANDIN_PORT/v1"
  START_STANDIN=1
  echo "No GATEWAY_UPSTREAM_URL: the gateway relays to a local stand-in with deterministic answers at $GATEWAY_UPSTREAM_URL"
fi
start_gateway() {
  if [ -n "$START_STANDIN" ]; then
    $PY -m gateway.standin --host 127.0.0.1 --port "$GATEWAY_STANDIN_PORT" &
  fi
  $PY -m gateway --host "$HOST" --port "$GATEWAY_PORT" &
  echo "The gateway serves /v1/… at http://$HOST:$GATEWAY_PORT with each environment's credential"
}

# France's government sign-in for the demo: a stand-in OpenID Connect provider (dev/oidc_provider)
# on a free port of 127.0.0.1, its people signing in with the demo password. seed_demo points
# France's identity provider at it.
start_demo_provider() {
  mkdir -p var
  DEMO_OIDC_CLIENT_SECRET="$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')"
  export DEMO_OIDC_CLIENT_SECRET
  $PY - "$HOST" "$PORT" > var/demo-idp.json <<'PYEOF'
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from tenants.identity.demo import DEMO_CLIENT_ID, DEMO_PROVIDER_PEOPLE
host, port = sys.argv[1], sys.argv[2]
password = os.environ.get("DEMO_PASSWORD", "portal-demo-2026")
print(json.dumps({
    "users": [{**person, "password": password} for person in DEMO_PROVIDER_PEOPLE],
    "clients": [{"client_id": DEMO_CLIENT_ID, "client_secret": os.environ["DEMO_OIDC_CLIENT_SECRET"]}],
    "redirect_prefixes": [f"http://{h}:{port}/accounts/gov/" for h in {host, "127.0.0.1", "localhost"}],
}))
PYEOF
  $PY -m dev.oidc_provider.serve --config var/demo-idp.json --port 0 > var/demo-idp.out 2> var/demo-idp.log &
  for _ in $(seq 1 60); do grep -q '^IDP_URL ' var/demo-idp.out 2>/dev/null && break; sleep 0.5; done
  DEMO_OIDC_ISSUER="$(sed -n 's/^IDP_URL //p' var/demo-idp.out)/o"
  export DEMO_OIDC_ISSUER
}

say_how_to_sign_in() {
  echo "Serving the portal at http://$HOST:$PORT $1"
  echo "  Sign in as amelie, olivier, wanjiku, priya, marcus, aude or admin, password ${DEMO_PASSWORD:-portal-demo-2026}."
  echo "  Country admins, partner managers, the auditor and admin also give a code from an authenticator app"
  echo "  set up with the secret ${DEMO_TOTP_SECRET:-JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP} (demo only)."
  echo "  Government sign-in for France: on the sign-in page choose France (or enter claire.martin@interieur.demo.invalid),"
  echo "  then sign in at the stand-in provider ($DEMO_OIDC_ISSUER) as olivier or claire with the same password."
  if [ "${EMAIL_BACKEND:-}" = "django.core.mail.backends.filebased.EmailBackend" ]; then
    echo "  Mail (invitations, password resets) is written in full to $EMAIL_FILE_PATH/, one file per mail."
  fi
}

if [ -z "${DATABASE_URL:-}" ]; then
  echo "No DATABASE_URL set: using the embedded SQLite database var/portal.sqlite3, with background jobs"
  echo "run in-process. This is a demo mode: row-level security and the worker need PostgreSQL and Redis."
  $PY manage.py migrate --noinput
  trap 'trap - EXIT; kill 0' EXIT INT TERM
  start_demo_provider
  $PY manage.py seed_demo
  start_gateway
  echo "(In this mode policies are published to Redis at once, if it is reachable; usage is folded only by a beat.)"
  say_how_to_sign_in "(embedded database, jobs in-process)"
  $PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 1 --threads 4 --access-logfile - &
  wait -n
  exit $?
fi

$PY scripts/check_services.py --create-database
$PY manage.py migrate --noinput
trap 'trap - EXIT; kill 0' EXIT INT TERM
start_demo_provider
$PY manage.py seed_demo
$PY -m celery -A portal worker --concurrency 2 -n "portal-worker@%h" &
$PY -m celery -A portal beat --pidfile= &
start_gateway
say_how_to_sign_in "with a worker and beat"
$PY -m gunicorn portal.wsgi --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - &
wait -n
