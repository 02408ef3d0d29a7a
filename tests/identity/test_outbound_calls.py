"""The portal's calls to a country's identity provider are checked where the connection is made:
the name resolved once and every answer allowed, the connection made to the address checked (a
second answer of the name server cannot send it inside), and every redirect hop checked again."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from tenants import networks
from tenants.identity.adapters import SocialAccountAdapter
from tenants.identity.outbound import urllib3_connection
from tenants.networks import Refused, checked_address


def session():
    return SocialAccountAdapter().get_requests_session()


def answers(*addresses):
    def answer(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return answer


def test_a_name_with_any_answer_inside_is_refused(monkeypatch):
    monkeypatch.setattr(networks, "resolve", answers("93.184.216.34", "127.0.0.1"))
    with pytest.raises(Refused):
        checked_address("id.example.gov", 443, ())
    monkeypatch.setattr(networks, "resolve", answers("64:ff9b::a9fe:a9fe"))  # NAT64 to the metadata service
    with pytest.raises(Refused):
        checked_address("id.example.gov", 443, ())


def test_the_connection_goes_to_the_address_checked_not_to_a_second_answer(monkeypatch, settings):
    settings.COUNTRY_NETWORKS = ""
    asked, connected = [], []

    def rebinding(host, port, *args, **kwargs):
        asked.append(host)
        return answers("93.184.216.34" if len(asked) == 1 else "127.0.0.1")(host, port)

    def connect(address, *args, **kwargs):
        connected.append(address[0])
        raise OSError("no network in the suite")

    monkeypatch.setattr(networks, "resolve", rebinding)
    monkeypatch.setattr(urllib3_connection, "create_connection", connect)
    with pytest.raises(requests.exceptions.ConnectionError):
        session().get("https://id.example.gov/.well-known/openid-configuration", timeout=2)
    assert connected and set(connected) == {"93.184.216.34"}, (asked, connected)


class _Redirect(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # noqa: N802
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_every_redirect_hop_is_checked(settings):
    """An allowed provider that redirects inside the platform: the second hop is never connected."""
    server = HTTPServer(("127.0.0.1", 0), _Redirect)
    _Redirect.target = "http://127.0.0.3:6379/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.COUNTRY_NETWORKS = "127.0.0.1/32"
        with pytest.raises(requests.exceptions.ConnectionError, match="inside the platform"):
            session().get(f"http://127.0.0.1:{server.server_port}/.well-known/openid-configuration", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
