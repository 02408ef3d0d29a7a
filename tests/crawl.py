"""A crawl of the portal as one visitor sees it: from the usual start pages, every link of the
portal followed once per kind of page (the same URL with other ids is the same kind). Used by the
checks that must hold on every page: translation (tests/languages) and accessibility
(tests/browser)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from django.test import Client

# The demo's accounts (tenants/demo.py), one per kind of visitor.
ROLES = {
    "country admin": "amelie",
    "officer": "olivier",
    "viewer": "camille",
    "partner manager": "priya",
    "auditor": "aude",
    "platform admin": "admin",
    "anonymous": None,
}
START = ["/", "/c/fr/", "/audit/", "/review/", "/register/fr/", "/accounts/", "/accounts/login/", "/notifications/"]
# Not pages: files, JSON, the admin (Django's own), the API and its docs, sign-out.
SKIP = re.compile(
    r"^/(admin|api|static|\.well-known|healthz|readyz)|\.(json|csv|pdf|zip|xlsx|pem|txt)$|/download/|/export/"
)
PAGES_PER_ROLE = 90

Fetch = Callable[[str], "str | None"]


def shape(path: str) -> str:
    """The kind of page: ids and hashes in the path replaced by N and H, a country's code by CC."""
    path = urlsplit(path).path
    path = re.sub(r"^/(c|audit|register|platform/exits)/[a-z]{2}(?=/|$)", r"/\1/CC", path)
    return re.sub(r"/\d+(?=/|$)", "/N", re.sub(r"/[0-9a-f-]{16,}(?=/|$)", "/H", path))


def client_fetch(client: Client) -> Fetch:
    """Fetch through a Django test client: the page's HTML, or None when the answer is no page. A
    server error fails the crawl: a link the portal shows must never lead to one."""

    def fetch(path: str) -> str | None:
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            return None
        return response.content.decode()

    return fetch


def crawl(fetch: Fetch | Client, starts: list[str] = START, limit: int = PAGES_PER_ROLE) -> dict[str, str]:
    """Path → HTML of every kind of page reached by links from `starts`, at most `limit` pages."""
    if isinstance(fetch, Client):
        fetch = client_fetch(fetch)
    seen: set[str] = set()
    pages: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(pages) < limit:
        path = queue.popleft()
        kind = shape(path)
        if kind in seen or SKIP.search(urlsplit(path).path):
            continue
        seen.add(kind)
        html = fetch(path)
        if html is None:
            continue
        pages[path] = html
        for href in re.findall(r'<a [^>]*href="([^"#]+)', html):
            link = urljoin(path, href.replace("&amp;", "&"))
            if link.startswith("/") and "?" not in link:
                queue.append(link)
    return pages
