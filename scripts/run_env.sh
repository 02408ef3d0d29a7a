# The addresses of `make run`, sourced by scripts/run.sh: where it serves (PORT, HOST, GATEWAY_PORT)
# and, from them, the addresses the portal writes into links and pages (PORTAL_BASE_URL for mails,
# GATEWAY_PUBLIC_URL for the environments' pages), unless they are set already. `make run PORT=8100`
# then mails links to :8100, not to the default :8000 (tests/test_run_script.py).
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
GATEWAY_PORT="${GATEWAY_PORT:-8001}"
case "$HOST" in
  0.0.0.0 | :: | "[::]") LINK_HOST=127.0.0.1 ;; # listening everywhere: links name this machine
  *) LINK_HOST="$HOST" ;;
esac
export PORT HOST GATEWAY_PORT
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://$LINK_HOST:$PORT}"
export GATEWAY_PUBLIC_URL="${GATEWAY_PUBLIC_URL:-http://$LINK_HOST:$GATEWAY_PORT}"
# The demo's mail (invitations, password resets) is written to files under var/mail, one per mail,
# in full: the console would print it through the logs, which redact the links' secrets
# (tenants/telemetry.py) and so leave no link to follow. Only for the demo (DEBUG), and only
# when no EMAIL_BACKEND is set.
case "${DEBUG:-true}" in
  1 | true | True | yes | on)
    export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
    export EMAIL_FILE_PATH="${EMAIL_FILE_PATH:-var/mail}"
    ;;
esac
