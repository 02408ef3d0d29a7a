"""The shared cache (portal/cache.py): Redis, through one kept client per connection pool."""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.cache import cache


def test_the_cache_is_redis_with_one_client_kept_for_every_operation():
    assert settings.CACHES["default"]["BACKEND"] == "portal.cache.PortalRedisCache"
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.set("kept-client-check", {"n": 1}, 30)
    assert cache.get("kept-client-check") == {"n": 1}
    assert cache._cache.get_client() is client
    # What it wrote is in Redis itself, under the cache's prefix.
    assert client.exists(cache.make_and_validate_key("kept-client-check")) == 1
    cache.delete("kept-client-check")
    assert cache.get("kept-client-check") is None


def test_each_thread_keeps_its_client_and_reads_its_own_keys():
    # Django gives each thread a cache object of its own; each keeps one client for all its work.
    seen, kept = {}, {}

    def work(n: int) -> None:
        clients = set()
        for i in range(50):
            cache.set(f"kept-thread-{n}", i, 30)
            seen[n] = cache.get(f"kept-thread-{n}")
            clients.add(id(cache._cache.get_client()))
        kept[n] = len(clients)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == dict.fromkeys(range(4), 49)
    assert kept == dict.fromkeys(range(4), 1)
    cache.delete_many([f"kept-thread-{n}" for n in range(4)])
