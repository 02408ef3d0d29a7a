"""The world of the access matrix, built once per module in a transaction rolled back at its end,
and one signed-in client per kind of visitor."""

import pytest


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.db import transaction

    from tests.access.world import build_world

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def clients(world, db):
    from django.test import Client

    found = {}
    for visitor, user in world.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        found[visitor] = client
    return found
