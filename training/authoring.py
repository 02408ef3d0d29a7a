"""The shape of a programme's content, checked before any version is written, and the plain-text
format in which a country writes its own programmes on the page:

    # Module title
    Markdown text of the module…
    link: Title of a page | https://example.org/page
    ? A quiz question
    - a wrong option
    * the right option (one per question)
    - another wrong option

Each `# ` line starts a module; each `? ` line a question of that module's quiz."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft7Validator

from tenants.errors import ServiceError
from tenants.inputs import text_problem

MAX_MODULES = 12
MAX_QUESTIONS = 10
MAX_OPTIONS = 6
MAX_LINKS = 20
MAX_BODY = 20000


def _text(max_length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


LINK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {"title": {"type": "string", "maxLength": 200}, "url": _text(500)},
}
QUESTION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["question", "options", "answer"],
    "properties": {
        "question": _text(500),
        "options": {"type": "array", "minItems": 2, "maxItems": MAX_OPTIONS, "items": _text(300)},
        "answer": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_OPTIONS - 1,
            "description": "Position of the right option, from 0.",
        },
    },
}
MODULE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "body", "quiz"],
    "properties": {
        "title": _text(200),
        "body": {**_text(MAX_BODY), "description": "The module's text, in Markdown."},
        "links": {"type": "array", "maxItems": MAX_LINKS, "items": LINK_SCHEMA},
        "quiz": {"type": "array", "minItems": 1, "maxItems": MAX_QUESTIONS, "items": QUESTION_SCHEMA},
    },
}
# The declared shape of a programme's content: checked before any version is written, and published
# as the `content` field of the API's schema.
CONTENT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["modules"],
    "properties": {"modules": {"type": "array", "minItems": 1, "maxItems": MAX_MODULES, "items": MODULE_SCHEMA}},
}
_VALIDATOR = Draft7Validator(CONTENT_SCHEMA)
_WEB_ADDRESS = URLValidator(schemes=["http", "https"])
TYPE_NAMES = {
    "string": "text",
    "integer": gettext_lazy("a whole number"),
    "array": gettext_lazy("a list"),
    "object": gettext_lazy("an object"),
}


def _path(parts) -> str:
    """A field path as the API names it: content.modules[0].links[1].url."""
    path = "content"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _fail(parts, message: str) -> None:
    raise ServiceError(message, field=_path(parts))


def _where(parts) -> tuple[int | None, int | None]:
    """(module number, question number), counted from 1, of a path into the content."""
    parts = list(parts)
    module = parts[1] + 1 if len(parts) > 1 and parts[0] == "modules" and isinstance(parts[1], int) else None
    question = parts[3] + 1 if len(parts) > 3 and parts[2] == "quiz" and isinstance(parts[3], int) else None
    return module, question


def _message(parts: list, validator: str, error) -> str:
    """The message a person can act on for one departure from CONTENT_SCHEMA at `parts`."""
    m, q = _where(parts)
    name = parts[-1] if parts else None
    if not parts or parts == ["modules"]:
        return _("Write at least one module, with its text and a quiz (at most %(max)s modules).") % {
            "max": MAX_MODULES
        }
    if len(parts) == 2:
        return _("Module %(m)s is not in the expected form: an object with a title, a body and a quiz.") % {"m": m}
    if parts[2] in ("title", "body") and validator == "maxLength" and parts[2] == "body":
        return _("The text of module %(m)s is longer than %(max)s characters; split it into two modules.") % {
            "m": m,
            "max": MAX_BODY,
        }
    if parts[2] in ("title", "body"):
        return _("Module %(m)s needs a title and some text.") % {"m": m}
    if parts[2] == "quiz" and len(parts) == 3:
        return _("Module %(m)s needs a quiz of 1 to %(max)s questions.") % {"m": m, "max": MAX_QUESTIONS}
    if parts[2] == "links":
        return _(
            "A link of module %(m)s is not a web address starting with https:// (links are a list of {title, url})."
        ) % {"m": m}
    if len(parts) >= 5 and parts[4] == "answer":
        return _("Question %(q)s of module %(m)s needs exactly one right option.") % {"q": q, "m": m}
    if len(parts) >= 5 and parts[4] in ("question", "options"):
        return _("Question %(q)s of module %(m)s needs its text and 2 to %(max)s options.") % {
            "q": q,
            "m": m,
            "max": MAX_OPTIONS,
        }
    if validator == "additionalProperties":
        return _("Unknown field %(name)s: remove it.") % {"name": name}
    if validator == "type":
        return _("This must be %(type)s.") % {"type": TYPE_NAMES.get(error.validator_value, error.validator_value)}
    return _("Module %(m)s is not in the expected form.") % {"m": m}


def _schema_problem(content: object) -> tuple[list, str] | None:
    errors = list(_VALIDATOR.iter_errors(content))
    if not errors:
        return None

    def key(error):
        return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path]

    error = min(errors, key=key)
    parts = list(error.absolute_path)
    if error.validator == "required":
        parts.append(next(name for name in error.validator_value if name not in error.instance))
    elif error.validator == "additionalProperties":
        parts.append(sorted(set(error.instance) - set(error.schema.get("properties", {})))[0])
    return parts, _message(parts, error.validator, error)


def _text_problems(value: Any, parts: list) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            _fail(parts, problem)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _text_problems(inner, [*parts, key])
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _text_problems(inner, [*parts, index])


def content_validate(content: object) -> dict:
    """A clean copy of `content` ({"modules": [...]}, as in ProgrammeVersion), or ServiceError
    naming the field at fault (content.modules[0].links[1].url) and saying which module or question
    it is, in words. The shape is CONTENT_SCHEMA; the rules beyond it are checked here."""
    problem = _schema_problem(content)
    if problem:
        _fail(*problem)
    _text_problems(content, [])
    modules = []
    for m, module in enumerate(content["modules"]):
        title, body = module["title"].strip(), module["body"].strip()
        if not title or not body:
            _fail(
                ["modules", m, "title" if not title else "body"], _message(["modules", m, "title"], "minLength", None)
            )
        links = []
        for index, link in enumerate(module.get("links") or []):
            url = link["url"].strip()
            try:
                _WEB_ADDRESS(url)
            except ValidationError:
                _fail(["modules", m, "links", index, "url"], _message(["modules", m, "links"], "format", None))
            links.append({"title": (link.get("title") or "").strip()[:200] or url, "url": url})
        questions = []
        for q, question in enumerate(module["quiz"]):
            text = question["question"].strip()
            options = [option.strip() for option in question["options"]]
            if not text or not all(options):
                _fail(
                    ["modules", m, "quiz", q, "options" if text else "question"],
                    _message(["modules", m, "quiz", q, "options"], "minLength", None),
                )
            if question["answer"] >= len(options):
                _fail(
                    ["modules", m, "quiz", q, "answer"], _message(["modules", m, "quiz", q, "answer"], "maximum", None)
                )
            questions.append({"question": text, "options": options, "answer": question["answer"]})
        modules.append({"title": title, "body": body, "links": links, "quiz": questions})
    return {"modules": modules}


def content_parse(text: str) -> dict:
    """The content of the plain-text format above, checked by content_validate."""
    modules: list[dict] = []
    question: dict | None = None
    for number, raw in enumerate((text or "").replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if line.startswith("# "):
            modules.append({"title": line[2:].strip(), "body": "", "links": [], "quiz": []})
            question = None
            continue
        if not modules:
            if line.strip():
                raise ServiceError(
                    _("Line {number}: start with a module title on a line beginning with '# '.").format(number=number),
                    field="content",
                )
            continue
        module = modules[-1]
        if line.startswith("? "):
            question = {"question": line[2:].strip(), "options": [], "answer": None}
            module["quiz"].append(question)
        elif question is not None and line[:2] in {"- ", "* "}:
            if line.startswith("* "):
                if question["answer"] is not None:
                    raise ServiceError(
                        _("Line {number}: a question has one right option, marked with '* '.").format(number=number),
                        field="content",
                    )
                question["answer"] = len(question["options"])
            question["options"].append(line[2:].strip())
        elif line.lower().startswith("link:"):
            title, _sep, url = line[5:].partition("|")
            module["links"].append({"title": title.strip(), "url": url.strip()})
        elif question is not None and line.strip():
            raise ServiceError(
                _("Line {number}: after a question, list its options on lines beginning with '- ' or '* '.").format(
                    number=number
                ),
                field="content",
            )
        else:
            module["body"] += raw + "\n"
    return content_validate({"modules": modules})


def content_to_text(content: dict) -> str:
    """The plain-text form of stored content, to edit it on the page."""
    lines = []
    for module in content.get("modules", []):
        lines += [f"# {module['title']}", module["body"].rstrip(), ""]
        lines += [f"link: {link['title']} | {link['url']}" for link in module.get("links", [])]
        for question in module["quiz"]:
            lines.append(f"? {question['question']}")
            lines += [f"{'*' if i == question['answer'] else '-'} {o}" for i, o in enumerate(question["options"])]
        lines.append("")
    return "\n".join(lines).strip() + "\n"
