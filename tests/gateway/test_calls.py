"""What the gateway sends upstream for a call (gateway/rules.py): the members it adds (an output
ceiling, the usage of a stream) are appended to the body as it came, which reads as the same JSON
as the body written anew; the body is written anew when a member of the caller's changes, or when
it is not plain UTF-8."""

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


def test_a_body_that_is_not_utf_8_is_written_anew_in_utf_8():
    body = '{"model":"m","input":"été"}'.encode("utf-16")
    call, data = sent("responses", body)
    assert data == {"model": "m", "input": "été", "max_output_tokens": 4096}
    assert call.body.decode("utf-8")


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
    assert refusal.status == 400
    assert "twice" in refusal.message
