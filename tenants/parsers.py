"""The API's body parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's, in UTF-8 only, with
their refusals in the reader's language and the input guard's check (tenants.inputs) on what they
parsed. A module of their own: REST framework reads its default parsers while it defines APIView,
so they cannot live beside the views (tenants.rest)."""

from __future__ import annotations

import codecs
import json
import sys

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.utils import json as drf_json

from tenants.inputs import unsafe_fields


class TooManyDigits(ValueError):
    """A JSON number with more digits than Python turns into an int (sys.get_int_max_str_digits)."""


def _whole_number(text: str) -> int:
    # json hands over an integer's text as it matched it (an optional minus, ASCII digits): the one
    # ValueError int() raises on it is the limit on digits, which is not a NaN nor an Infinity.
    try:
        return int(text)
    except ValueError:
        raise TooManyDigits from None


def _utf8_only(parser_context) -> None:
    """JSON is UTF-8 (RFC 8259), and so are the portal's forms. A body declared in another charset
    is refused: DRF would decode it with any text codec the header names (utf-7, unicode_escape),
    and so read characters the input guard, which reads UTF-8, never saw."""
    charset = str((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
    try:
        accepted = codecs.lookup(charset).name == "utf-8"
    except LookupError:
        accepted = False
    if not accepted:
        raise exceptions.ParseError(
            _("Send the body in UTF-8 (charset=utf-8): the charset %(charset)s is not accepted.")
            % {"charset": charset[:40]}
        )


def _stored_text_checked(data) -> None:
    """The input guard's check (tenants.inputs) on what the parser produced: a PUT, PATCH or DELETE
    form is parsed here only, never by Django's request.POST, which the guard reads."""
    problems: dict[str, list[str]] = {}
    for field, problem in unsafe_fields(data):
        problems.setdefault(field, []).append(problem)
    if problems:
        raise exceptions.ValidationError(problems)


def _form_values(form) -> dict:
    return {key: values if len(values) != 1 else values[0] for key, values in form.lists()}


class GuardedJSONParser(JSONParser):
    """DRF's JSON parser, in UTF-8 only, with refusals in the reader's language (DRF writes its own
    with % formatting, which no catalogue translates), 400 rather than 500 for nesting so deep that
    the decoder runs out of stack, and the input guard's check on what it parsed. (Size is limited
    before parsing: DRF reads the body through Django, which enforces DATA_UPLOAD_MAX_MEMORY_SIZE;
    portal.api_errors turns that refusal into a 400.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        _utf8_only(parser_context)
        try:
            text = stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The body is not valid UTF-8.")) from None
        try:
            data = json.loads(
                text, parse_constant=drf_json.strict_constant if self.strict else None, parse_int=_whole_number
            )
        except TooManyDigits:
            raise exceptions.ParseError(
                _(
                    "The body is not valid JSON here: a number has more than %(digits)s digits, more than any field "
                    "takes. Send a shorter number."
                )
                % {"digits": sys.get_int_max_str_digits()}
            ) from None
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - the body is nested too deeply.")) from None
        except json.JSONDecodeError as error:
            raise exceptions.ParseError(
                _("The body is not valid JSON: look near line %(line)s, column %(column)s.")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except ValueError:
            raise exceptions.ParseError(
                _("The body is not valid JSON: numbers must be finite (no NaN or Infinity).")
            ) from None
        _stored_text_checked(data)
        return data


class GuardedFormParser(FormParser):
    """DRF's form parser, in UTF-8 only, with the input guard's check on what it parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        _utf8_only(parser_context)
        form = super().parse(stream, media_type, parser_context)
        _stored_text_checked(_form_values(form))
        return form


class GuardedMultiPartParser(MultiPartParser):
    """DRF's multipart parser, in UTF-8 only, with its refusal in the reader's language and the
    input guard's check on the fields and file names it parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        _utf8_only(parser_context)
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError(
                _("The form could not be read: send it as multipart/form-data with its boundary, as browsers do.")
            ) from None
        _stored_text_checked(
            {**_form_values(parsed.data), **{key: upload.name or "" for key, upload in parsed.files.items()}}
        )
        return parsed
