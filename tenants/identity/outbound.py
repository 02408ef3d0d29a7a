"""The calls the portal makes to a country's identity provider (discovery, token, keys), held to
tenants.networks' rule where the connection is made: each connection resolves the provider's name
once, refuses it if any address it resolves to is inside the platform (and not in a network the
operators opened), and connects to the address it checked, never to a second answer of the name
server. Names stay what TLS checks the certificate against. A redirect is a new request, and its
connection is checked the same way."""

from __future__ import annotations

import logging

from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from tenants.networks import Refused, checked_address, country_networks

log = logging.getLogger(__name__)


class _Checked:
    def _new_conn(self):
        try:
            address = checked_address(
                self._dns_host.rstrip("."), self.port, country_networks(settings.COUNTRY_NETWORKS)
            )
        except Refused as refusal:
            log.warning("A country's identity provider at %s was not called: %s", self.host, refusal)
            raise NewConnectionError(self, f"the identity provider is at {refusal}") from None
        except OSError as error:
            raise NameResolutionError(self.host, self, error) from error
        try:
            return urllib3_connection.create_connection(
                (address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except OSError as error:
            raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


class CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class CountryNetworksOnly(HTTPAdapter):
    """A requests transport adapter whose connections are CheckedHTTP(S)Connection."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": CheckedHTTPConnectionPool,
            "https": CheckedHTTPSConnectionPool,
        }
