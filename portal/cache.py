"""The shared cache on Redis: Django's RedisCache, keeping one redis client per connection pool
for the life of the process.

Django's own client builds a new `redis.Redis` for every cache operation, and that constructor
fills a table of some 500 response callbacks each time; a request makes about three cache
operations, so building clients cost more of it than talking to Redis. A `redis.Redis` over a
connection pool is safe to share between threads, and its pool opens fresh connections in a
forked process."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class PortalRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClients
