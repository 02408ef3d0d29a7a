"""What the gateway sends upstream for a call (gateway/rules.py): the members it adds (an output
ceiling, the usage of a stream) are appended to the body as it came, which reads as the same JSON
as the body written anew; the body is written anew when a member of the caller's changes. A body
that two parsers could read differently (gateway/bodies.py: a member named twice, not UTF-8, NaN,
numbers past a double, `stream` or a count of another type than the schema's) is refused with a
400 that names the member and says what to send."""

from __future__ import annotations

import json

import pytest

from gateway.config import Config
from gateway.rules import call_parse

CONFIG = Config(redis_url="redis://127.0.0.1:6379/0", prefix="test", key=b"k" * 32)


def sent(family: str, body: bytes):
    call = call_parse(family, body, "application/json", CONFIG)
    return call, json.loads(call.body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"model":"m","messages":[{"role":"user","content":"Hi \\u00e9"}]}',
        b'  {"model": "m", "stream": true, "messages": []}\r\n',
        '{"model":"m","stream":true,"messages":[{"role":"user","content":"été"}]}'.encode(),
    ],
)
def test_added_members_are_appended_to_the_body_as_it_came(body):
    call, data = sent("chat.completions", body)
    original = json.loads(body)
    assert call.body.startswith(body.rstrip()[:-1])  # the caller's bytes, untouched
    added = {"max_completion_tokens": 4096}
    if original.get("stream"):
        added["stream_options"] = {"include_usage": True}
        assert call.strip_usage
    assert data == {**original, **added}


def test_a_callers_member_that_changes_has_the_body_written_anew():
    body = b'{"model":"m","stream":true,"stream_options":{"x":1},"max_completion_tokens":null,"messages":[]}'
    call, data = sent("chat.completions", body)
    assert data["stream_options"] == {"x": 1, "include_usage": True} and data["max_completion_tokens"] == 4096
    assert list(data) == ["model", "stream", "stream_options", "max_completion_tokens", "messages"]
    assert call.body.count(b'"stream_options"') == 1


@pytest.mark.parametrize(
    ("body", "code", "param", "said"),
    [
        # The same member twice: the gateway would check one, an upstream may read the other.
        (b'{"model":"aurora-large","model":"atlas-1","messages":[]}', "duplicate_member", "model", '"model" twice'),
        (
            b'{"model":"m","messages":[{"role":"user","content":[{"type":"text","type":"image_url"}]}]}',
            "duplicate_member",
            "type",
            '"type" twice',
        ),
        (b'{"model":"m","mod\\u0065l":"atlas-1","messages":[]}', "duplicate_member", "model", '"model" twice'),
        (b'{"model":"m","metadata":{"a":{"b":1,"b":2}}}', "duplicate_member", "b", '"b" twice'),
        # Told apart by case only: parsers that match names without regard to case take them for one.
        (
            b'{"model":"aurora-large","Model":"atlas-1","messages":[]}',
            "duplicate_member",
            "Model",
            "without regard to case",
        ),
        (
            b'{"model":"m","stream":false,"\\u017ftream":true}',
            "duplicate_member",
            "\u017ftream",
            "without regard to case",
        ),
        # Not UTF-8, or not JSON as every parser reads it.
        ('{"model":"m","input":"\u00e9t\u00e9"}'.encode("utf-16"), "invalid_encoding", None, "not UTF-8"),
        ('{"model":"m","input":"\u00e9t\u00e9"}'.encode("latin-1"), "invalid_encoding", None, "not UTF-8"),
        (b'\xef\xbb\xbf{"model":"m"}', "invalid_encoding", None, "byte order mark"),
        (b'{"model":"m","temperature":NaN}', "invalid_json", None, "NaN"),
        (b'{"model":"m","temperature":-Infinity}', "invalid_json", None, "-Infinity"),
        (b'{"model":"m","temperature":1e400}', "invalid_json", None, "larger than a double"),
        (b'{"model":"m","seed":' + b"9" * 5000 + b"}", "invalid_json", None, "too many digits"),
        (b'{"model":"m","x":' + b"[" * 50_000 + b"]" * 50_000 + b"}", "invalid_json", None, "nested too deeply"),
        (b'{"model": "m",', "invalid_json", None, "line 1, column 15"),
        (b'[{"model":"m"}]', "invalid_json", None, "JSON object"),
        (b'"m"', "invalid_json", None, "JSON object"),
        (b"null", "invalid_json", None, "JSON object"),
        # What the gateway reads must have the schema's type: a schema that coerces reads "true" as true.
        (b'{"model":"m","stream":"true"}', "invalid_type", "stream", "true or false"),
        (b'{"model":"m","stream":1}', "invalid_type", "stream", "true or false"),
        (b'{"model":"m","n":"5"}', "invalid_value", "n", "whole number"),
        (b'{"model":"m","n":5.0}', "invalid_value", "n", "whole number"),
        (b'{"model":"m","max_tokens":0}', "invalid_value", "max_tokens", "whole number"),
        (b'{"model":"m","max_completion_tokens":true}', "invalid_value", "max_completion_tokens", "whole number"),
        (b'{"model":"m","max_tokens":9223372036854775808}', "invalid_value", "max_tokens", "9223372036854775807"),
    ],
)
def test_a_body_two_parsers_could_read_differently_is_refused_with_what_to_send(body, code, param, said):
    refusal = call_parse("chat.completions", body, "application/json", CONFIG)
    assert (refusal.status, refusal.code, refusal.param, refusal.rule) == (400, code, param, "request")
    assert said in refusal.message
    assert json.loads(refusal.body())["error"]["code"] == code


def test_the_responses_output_ceiling_is_a_whole_number_too():
    refusal = call_parse("responses", b'{"model":"m","max_output_tokens":"900"}', "application/json", CONFIG)
    assert (refusal.status, refusal.param) == (400, "max_output_tokens")


def test_what_every_parser_reads_alike_passes():
    body = b'{"model":"m","stream":null,"max_tokens":null,"n":2,"seed":9223372036854775807,"t":1.5e300,"a":{"b":1},"c":{"b":2}}'
    call = call_parse("chat.completions", body, "application/json", CONFIG)
    assert call.model == "m" and call.stream is False
    assert json.loads(call.body)["max_completion_tokens"] == 4096 and call.reserve == len(body) + 2 * 4096


def test_a_body_needing_nothing_goes_as_it_came():
    body = b'{"model":"m","max_tokens":10,"messages":[]} '
    call, _ = sent("chat.completions", body)
    assert call.body is body and call.reserve == len(body) + 10


def _form(*parts: tuple[str, bytes, str | None]) -> tuple[bytes, str]:
    boundary = "b0undary42"
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_an_audio_form_is_read_as_the_upstream_reads_it():
    body, content_type = _form(("file", b"RIFF....", "a.wav"), ("model", b"aurora-voice", None))
    call = call_parse("audio.transcriptions", body, content_type, CONFIG)
    assert call.model == "aurora-voice"


def test_a_model_named_inside_the_audio_file_is_not_the_forms_model():
    """The file's bytes may look like a form field: only the form's own parts count, so the model
    checked is the one the upstream will serve (an unapproved one here, refused by the rules)."""
    smuggled = b'\r\nContent-Disposition: form-data; name="model"\r\n\r\naurora-voice\r\n'
    body, content_type = _form(("model", b"atlas-1", None), ("file", smuggled, "a.wav"))
    call = call_parse("audio.transcriptions", body, content_type, CONFIG)
    assert call.model == "atlas-1"


def test_an_audio_form_that_names_its_model_twice_is_refused():
    body, content_type = _form(
        ("file", b"RIFF", "a.wav"), ("model", b"atlas-1", None), ("model", b"aurora-voice", None)
    )
    refusal = call_parse("audio.transcriptions", body, content_type, CONFIG)
    assert (refusal.status, refusal.code, refusal.param) == (400, "duplicate_member", "model")
    assert "twice" in refusal.message


@pytest.mark.parametrize(("value", "stream"), [(b"true", True), (b"False", False)])
def test_an_audio_forms_stream_is_true_or_false(value, stream):
    body, content_type = _form(("file", b"RIFF", "a.wav"), ("model", b"aurora-voice", None), ("stream", value, None))
    assert call_parse("audio.transcriptions", body, content_type, CONFIG).stream is stream


def test_an_audio_forms_stream_of_another_value_is_refused():
    """A form parser that reads "1" or "yes" as true would stream what the gateway took for an answer."""
    body, content_type = _form(("file", b"RIFF", "a.wav"), ("model", b"aurora-voice", None), ("stream", b"1", None))
    refusal = call_parse("audio.transcriptions", body, content_type, CONFIG)
    assert (refusal.status, refusal.code, refusal.param) == (400, "invalid_type", "stream")
