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

from urllib.parse import urlsplit

from tenants.errors import ServiceError

MAX_MODULES = 12
MAX_QUESTIONS = 10
MAX_OPTIONS = 6
MAX_BODY = 20000


def _fail(message: str) -> None:
    raise ServiceError(message, field="content")


def content_validate(content: object) -> dict:
    """A clean copy of `content` ({"modules": [...]}, as in ProgrammeVersion), or ServiceError
    saying which module or question is at fault."""
    if not isinstance(content, dict) or not isinstance(content.get("modules"), list) or not content["modules"]:
        _fail("Write at least one module, with its text and a quiz.")
    if len(content["modules"]) > MAX_MODULES:
        _fail(f"A programme has at most {MAX_MODULES} modules.")
    modules = []
    for m, module in enumerate(content["modules"], start=1):
        if not isinstance(module, dict):
            _fail(f"Module {m} is not in the expected form.")
        title = str(module.get("title") or "").strip()[:200]
        body = str(module.get("body") or "").strip()
        if not title or not body:
            _fail(f"Module {m} needs a title and some text.")
        if len(body) > MAX_BODY:
            _fail(f"The text of module {m} is longer than {MAX_BODY} characters; split it into two modules.")
        links = []
        for link in module.get("links") or []:
            url = str((link or {}).get("url") or "").strip() if isinstance(link, dict) else ""
            if urlsplit(url).scheme not in {"https", "http"} or not urlsplit(url).netloc:
                _fail(f"A link of module {m} is not a web address starting with https://.")
            links.append({"title": str(link.get("title") or url).strip()[:200], "url": url[:500]})
        quiz = module.get("quiz")
        if not isinstance(quiz, list) or not 1 <= len(quiz) <= MAX_QUESTIONS:
            _fail(f"Module {m} needs a quiz of 1 to {MAX_QUESTIONS} questions.")
        questions = []
        for q, question in enumerate(quiz, start=1):
            options = question.get("options") if isinstance(question, dict) else None
            answer = question.get("answer") if isinstance(question, dict) else None
            text = str(question.get("question") or "").strip()[:500] if isinstance(question, dict) else ""
            if not text or not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
                _fail(f"Question {q} of module {m} needs its text and 2 to {MAX_OPTIONS} options.")
            if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(options):
                _fail(f"Question {q} of module {m} needs exactly one right option.")
            questions.append({"question": text, "options": [str(o).strip()[:300] for o in options], "answer": answer})
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
                _fail(f"Line {number}: start with a module title on a line beginning with '# '.")
            continue
        module = modules[-1]
        if line.startswith("? "):
            question = {"question": line[2:].strip(), "options": [], "answer": None}
            module["quiz"].append(question)
        elif question is not None and line[:2] in {"- ", "* "}:
            if line.startswith("* "):
                if question["answer"] is not None:
                    _fail(f"Line {number}: a question has one right option, marked with '* '.")
                question["answer"] = len(question["options"])
            question["options"].append(line[2:].strip())
        elif line.lower().startswith("link:"):
            title, _, url = line[5:].partition("|")
            module["links"].append({"title": title.strip(), "url": url.strip()})
        elif question is not None and line.strip():
            _fail(f"Line {number}: after a question, list its options on lines beginning with '- ' or '* '.")
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
