"""Sessions kept in the database and read from the cache: Django's cached_db store, so that a
signed-in request reads its session with no query while the cache holds it.

Two things are added to Django's store. A cache that cannot be reached only costs the query, as
everywhere in the portal (tenants.access): the store reads and writes the database alone then,
instead of failing the request. And the cache keeps a session at most SESSION_CACHE_SECONDS, which
bounds how long a copy the cache missed a change of (written, or deleted, while it could not be
reached) can be read once it is back.

Every session is written and ended through the store, which deletes the cache's copy with the row:
signing out, ending one's other sessions (allauth's UserSession.end), and revocation
(tenants.identity.revocation). Code that deletes session rows itself must go through the store too,
or the session lives on in the cache."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import cached_db

log = logging.getLogger(__name__)


class _TolerantCache:
    """The cache as the session store uses it, every failure logged and answered as a miss."""

    def __init__(self, cache):
        self._cache = cache

    def __getattr__(self, name):  # what the store does not use in a request (the async doors): as is
        return getattr(self._cache, name)

    def get(self, key, default=None):
        try:
            return self._cache.get(key, default)
        except Exception:  # noqa: BLE001 - the cache being away must not fail the request
            log.warning("The session could not be read from the cache; read from the database", exc_info=True)
            return default

    def set(self, key, value, timeout=None):
        timeout = settings.SESSION_CACHE_SECONDS if timeout is None else min(timeout, settings.SESSION_CACHE_SECONDS)
        try:
            self._cache.set(key, value, timeout)
        except Exception:  # noqa: BLE001
            log.warning("The session could not be written to the cache", exc_info=True)

    def delete(self, key):
        try:
            return self._cache.delete(key)
        except Exception:  # noqa: BLE001
            log.warning("The session could not be deleted from the cache", exc_info=True)
            return False

    def __contains__(self, key) -> bool:
        try:
            return key in self._cache
        except Exception:  # noqa: BLE001
            return False


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _TolerantCache(self._cache)


def session_end(session_key: str) -> None:
    """End one session through the configured store: its row, and the cache's copy if it has one."""
    import_module(settings.SESSION_ENGINE).SessionStore().delete(session_key)
