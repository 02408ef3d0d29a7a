"""Where a country's own servers may be: its model server (called by the gateway) and its
identity provider (called by the portal at each government sign-in).

A country admin declares their addresses, and the platform then calls them from inside its own
network. Left open, that would let anyone with the role reach what only the platform should: its
loopback, the cloud's metadata service, its private network. A country's server must be at a public
address, or in a network the platform's operators opened for countries (COUNTRY_NETWORKS:
comma-separated CIDR ranges, e.g. the range of a country's VPN). The portal checks a literal
address or a local name when it is saved, and every address a name resolves to when it calls.

Standard library only: the gateway, which does not load Django, reads it too."""

from __future__ import annotations

import ipaddress


def country_networks(value: str) -> tuple:
    """The networks opened for countries' servers, from COUNTRY_NETWORKS's value; ValueError
    names an item that is not one."""
    found = []
    for item in (value or "").split(","):
        if item.strip():
            try:
                found.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"COUNTRY_NETWORKS: {item.strip()!r} is not a network (write it as 10.20.0.0/16)"
                ) from None
    return tuple(found)


def country_address_refusal(address: str, networks: tuple) -> str:
    """Why a country's server may not be called at this IP address, or "" when it may: it must be a
    public address, or in one of `networks`."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in networks):
        return ""
    if ip.is_global and not ip.is_multicast:
        return ""
    return "an address inside the platform's network or reserved"


LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def country_host_refusal(host: str, networks: tuple) -> str:
    """What can be said of a host name before it is resolved: a literal address is checked as such;
    the names of the local machine are loopback."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if host in LOCAL_NAMES or host.endswith(".localhost"):
            return country_address_refusal("127.0.0.1", networks)
        return ""
    return country_address_refusal(host, networks)


def resolved_refusal(host: str, port: int, networks: tuple) -> str:
    """Why `host` may not be called, judged on every address its name resolves to now, or "" when
    it may (a name that does not resolve is left to the call itself to report)."""
    import socket

    refusal = country_host_refusal(host, networks)
    if refusal:
        return refusal
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ""
    for *_rest, address in found:
        refusal = country_address_refusal(address[0], networks)
        if refusal:
            return refusal
    return ""
