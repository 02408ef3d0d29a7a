"""One guard for text no field can hold: NUL characters (PostgreSQL refuses them in text and jsonb)
and lone UTF-16 surrogates (no UTF-8 encoder writes them, so the JSON renderer and the database
driver fail on them). InputGuardMiddleware looks at every request before anything reads it, pages
and API alike: the path (an address with such a character names nothing: 404), the query string,
form fields and JSON bodies (400, naming each field at fault). Services that store free-form text
call `text_problem` themselves, so that no other door can bring such text in either."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

UNSAFE = re.compile("[\x00\ud800-\udfff]")
JSON_TYPES = ("application/json", "+json")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def text_problem(value: str) -> str | None:
    """What is wrong with `value` as stored text, in words a person can act on; None if nothing."""
    found = UNSAFE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Remove the NUL character (\\u0000): text cannot hold it.")
    return _(
        "Remove the lone surrogate character (\\u%(code)04x): it is half of a character, so it cannot be stored."
    ) % {"code": ord(found.group())}


def unsafe_fields(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, problem) for each string in a parsed JSON value (keys too) that cannot be stored.
    Paths read like "content.modules[0].body"."""
    if isinstance(data, str):
        problem = text_problem(data)
        if problem:
            yield path or "non_field_errors", problem
    elif isinstance(data, dict):
        for key, value in data.items():
            key_text = str(key)
            problem = text_problem(key_text)
            name = UNSAFE.sub("\ufffd", key_text)
            name = f"{path}.{name}" if path else name
            if problem:
                yield name, _("This field's name cannot be stored. %(problem)s") % {"problem": problem}
            else:
                yield from unsafe_fields(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unsafe_fields(value, f"{path}[{index}]")


def _query_and_form_fields(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for values in (request.GET, request.COOKIES):
        for key, value in values.lists() if hasattr(values, "lists") else ((k, [v]) for k, v in values.items()):
            yield from unsafe_fields({key: value if len(value) != 1 else value[0]})
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and content_type in FORM_TYPES:
        yield from unsafe_fields(
            {key: values if len(values) != 1 else values[0] for key, values in request.POST.lists()}
        )
        for key, upload in request.FILES.items():
            yield from unsafe_fields({key: upload.name or ""})


def _json_fields(request: HttpRequest) -> Iterator[tuple[str, str]]:
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS") or not content_type.endswith(JSON_TYPES):
        return
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        return  # not JSON at all: the parser that reads it refuses it with its own message
    yield from unsafe_fields(data)


def request_problems(request: HttpRequest) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for field, problem in (*_query_and_form_fields(request), *_json_fields(request)):
        problems.setdefault(field, []).append(problem)
    return problems


def body_refusal_status(error: SuspiciousOperation) -> int:
    """413 for a body too large to read, 400 for the other refusals of a body."""
    return 413 if isinstance(error, RequestDataTooBig) else 400


def body_refusal(error: SuspiciousOperation) -> str:
    """The message for a body Django refused to read (too large, too many fields)."""
    if isinstance(error, RequestDataTooBig):
        return _("The request body is too large: at most %(size)s bytes.") % {
            "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
    if isinstance(error, TooManyFieldsSent):
        return _("Too many fields: at most %(count)s.") % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    return _("The request was refused as malformed.")


def error_summary(errors: dict[str, list[str]]) -> str:
    lines = [
        f"{field}: {message}" if field != "non_field_errors" else message
        for field, messages in errors.items()
        for message in messages
    ]
    if len(lines) == 1:
        return lines[0]
    return _("Correct these and try again — %(problems)s") % {"problems": " ".join(lines)}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def refusal(request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    """JSON for API callers ({"detail", "errors"}, as every API error); a plain page for people."""
    if is_api(request):
        body: dict[str, Any] = {"detail": detail}
        if errors:
            body["errors"] = errors
        return JsonResponse(body, status=status)
    page = loader.get_template("400.html").render({"static_only": True, "detail": detail, "errors": errors or {}})
    return HttpResponse(page, status=status)


class InputGuardMiddleware:
    """Refuses, before any view or middleware that queries the database sees it, a request carrying
    text that cannot be stored. Placed right after SecurityMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # It runs before LocaleMiddleware: its refusals are worded in the language this request
        # asks for (its cookie, Accept-Language), not whichever one the thread served last.
        with translation.override(translation.get_language_from_request(request)):
            refused = self._refusal(request)
        return refused if refused is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        if UNSAFE.search(request.path_info):
            return refusal(
                request,
                404,
                _("Not found: this address contains a character no address of the portal has (%(problem)s)")
                % {"problem": text_problem(request.path_info)},
            )
        try:
            problems = request_problems(request)
        except SuspiciousOperation as error:
            # Raised while reading the body; logged where Django would have logged it.
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning("%s", error)
            return refusal(request, body_refusal_status(error), body_refusal(error))
        if problems:
            return refusal(request, 400, error_summary(problems), problems)
        return None
