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


# IPv6 prefixes that carry an IPv4 address inside (NAT64, well-known and local-use): what they
# reach is the IPv4 address, judged as such.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def _inside_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo, NAT64, IPv4-compatible."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in network for network in NAT64) or int(ip) >> 32 == 0:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def country_address_refusal(address: str, networks: tuple) -> str:
    """Why a country's server may not be called at this IP address, or "" when it may: it must be a
    public address, or in one of `networks`. An IPv6 address that leads to an IPv4 one is judged by
    that one too; outside 2000::/3 no IPv6 address is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if any(ip in network for network in networks):
        return ""
    refused = "an address inside the platform's network or reserved"
    if ip.version == 6:
        inside = _inside_v4(ip)
        if inside:
            return next((refused for v4 in inside if country_address_refusal(str(v4), networks)), "")
        if ip not in GLOBAL_UNICAST:
            return refused
    if ip.is_global and not ip.is_multicast:
        return ""
    return refused


def literal_address(host: str) -> str | None:
    """The IP address a host written as one stands for, in any form the system's resolver reads as a
    number ("10.0.0.1", "[::1]", and the legacy "127.1", "2130706433", "0x7f.1"), or None for a name."""
    import socket

    host = host.strip("[]").split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def country_host_refusal(host: str, networks: tuple) -> str:
    """What can be said of a host name before it is resolved: a literal address is checked as such;
    the names of the local machine are loopback."""
    host = host.lower().rstrip(".")
    address = literal_address(host)
    if address is not None:
        return country_address_refusal(address, networks)
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return country_address_refusal("127.0.0.1", networks)
    return ""


def resolve(host: str, port: int) -> list:
    """The name server's answers for `host` (one place, for the suite to answer instead)."""
    import socket

    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


class Refused(Exception):
    """A country's server may not be called where its name leads (the message says why)."""


def checked_address(host: str, port: int, networks: tuple) -> str:
    """The IP address to call a country's server at: its name resolved once, every address it
    resolves to allowed (a name that leads both outside and inside is refused), and the first of
    them returned, so that the caller connects to what was checked, never to a second answer of the
    name server. Refused says why not; OSError is the name not resolving."""
    refusal = country_host_refusal(host, networks)
    if refusal:
        raise Refused(refusal)
    try:
        found = resolve(host.strip("[]"), port)
    except UnicodeError as error:
        raise OSError(f"{host!r} is not a host name") from error
    addresses = [address[0] for *_rest, address in found]
    for address in addresses:
        refusal = country_address_refusal(address, networks)
        if refusal:
            raise Refused(refusal)
    if not addresses:
        raise OSError(f"{host!r} resolves to no address")
    return addresses[0]
