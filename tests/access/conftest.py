"""The world of the access matrix, built once per module in a transaction rolled back at its end,
with one signed-in client per kind of visitor (their sessions live in that transaction too)."""

import pytest


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.db import transaction
    from django.test import Client

    from tests.access.world import build_world

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            for visitor, user in built.users.items():
                client = Client()
                if user is not None:
                    client.force_login(user)
                built.clients[visitor] = client
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def clients(world, db):
    return world.clients


@pytest.fixture
def password_just_confirmed(world, clients):
    """Every signed-in visitor has just confirmed their password again (allauth's reauthentication),
    for the routes that ask for it before showing anything. Written in the test's own transaction,
    undone after it."""
    from tests.identity.helpers import password_confirmed, session_cache_forget

    signed_in = [client for visitor, client in clients.items() if world.users[visitor] is not None]
    for client in signed_in:
        password_confirmed(client)
    yield
    for client in signed_in:
        session_cache_forget(client)  # the database forgets it with the test's transaction
