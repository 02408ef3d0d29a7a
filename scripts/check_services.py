"""Say clearly which of the services the suite needs is not reachable (PostgreSQL, Redis)."""

import os
import sys

import psycopg2
import redis

database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
problems = []
try:
    # The suite creates its own test database, so the server's maintenance database is enough.
    dsn = database_url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(dsn, connect_timeout=5)
    if "--create-database" in sys.argv:
        # make run on a fresh server: create the portal's database, owned by DATABASE_URL's role.
        name = database_url.rsplit("/", 1)[1].split("?")[0]
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"Created the database {name}.")
    conn.close()
except psycopg2.Error as error:
    problems.append(
        f"PostgreSQL is not reachable at {database_url.split('@')[-1]} ({str(error).strip()}). "
        "Start it, or set DATABASE_URL."
    )
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
except redis.RedisError as error:
    problems.append(f"Redis is not reachable at {redis_url.split('@')[-1]} ({error}). Start it, or set REDIS_URL.")
if problems:
    print("Cannot run: " + "\n".join(problems), file=sys.stderr)
    sys.exit(2)
print("PostgreSQL and Redis are reachable.")
