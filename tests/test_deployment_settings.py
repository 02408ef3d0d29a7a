"""Every setting the portal reads reaches an operator, and every process of the deployment files gets
what it needs to start.

1. Documented: every environment variable the code reads (found in the source: `env_str("NAME")`,
   `os.environ.get("NAME")`… in the apps, gunicorn.conf.py and manage.py) is in the README's
   *Configuration* table, or named in NOT_FOR_OPERATORS with the reason. A new setting read without
   either fails here, naming it.
2. Enough to start: each portal process of docker-compose.yml (as `docker compose config` resolves
   it) and of deploy/kubernetes/ (the ConfigMap, each container's own variables, and the secrets as
   their `kubectl create secret` lines in kustomization.yaml make them and the volumes mount them)
   is started here in production mode (DEBUG off) with exactly that environment, its secret files
   made by scripts/generate_secrets.py at the paths the files mount them: the settings load (so no
   production refusal: a database, the keys, mail, hosts…), the keys it holds open, a worker its
   gateway key, the gateway its configuration. A setting made required without an entry in those
   files fails here, with the portal's own sentence naming it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_deployment_files import _docker_compose, _pod

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("portal", "tenants", "gateway", "deployments", "engagements", "governance", "training")
READERS = {
    "env_str",
    "env_bool",
    "env_int",
    "env_float",
    "env_list",
    "env_choice",
    "env_url",
    "env_redis_url",
    "env_database_url",
    "env_secret_list",
    "env_file_text",
    "getenv",
}
# Read by the code, but not the operator's to set: each with the reason.
NOT_FOR_OPERATORS = {
    "DJANGO_SETTINGS_MODULE": "Django's own; the portal sets it (manage.py, portal.wsgi, portal.celery)",
    "PORTAL_TESTING": "set by the suite (tests/pytest_env.py) and its benchmarks only",
    "PORTAL_DB_ROLE": "set by manage.py for the commands that run as the owning role (migrate…), and by the suite",
    "SECOND_FACTOR_ENFORCED": "read by the suite only: outside it a second factor is always enforced",
    "DEMO_OIDC_ISSUER": "set by `make run` (scripts/run.sh) for the demo's stand-in identity provider",
    "DEMO_OIDC_CLIENT_SECRET": "set by `make run` (scripts/run.sh) for the demo's stand-in identity provider",
    "TEST_DATABASE_NAME": "the suite's own database per run",
    "PROVISIONING_STEP_DELAY": "lets the suite stop a worker in the middle of a provisioning job",
    "REPORT_STEP_DELAY": "lets the suite stop a worker in the middle of a report",
}


# --- 1. Documented ------------------------------------------------------------------------------


def _names_in(source: str) -> set[str]:
    """The environment variables a module's source names literally where it reads one."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            called = getattr(function, "attr", None) or getattr(function, "id", None)
            on_environ = isinstance(function, ast.Attribute) and "environ" in ast.unparse(function.value)
            if called in READERS or (called in {"get", "pop", "setdefault"} and on_environ):
                name = node.args[0].value
        elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
            name = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if isinstance(name, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
            found.add(name)
    return found


def _read_names() -> dict[str, set[str]]:
    """Every environment variable the code reads -> the files reading it."""
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
    files += [ROOT / "gunicorn.conf.py", ROOT / "manage.py"]
    found: dict[str, set[str]] = {}
    for path in files:
        for name in _names_in(path.read_text()):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _shell_names() -> dict[str, set[str]]:
    """The variables `make run`, `make test` and their scripts take from the environment: a shell
    `${NAME:-default}` (or `${NAME-…}`) and a Makefile's `NAME ?= default`."""
    found: dict[str, set[str]] = {}
    for path in [*sorted((ROOT / "scripts").glob("*.sh")), ROOT / "Makefile"]:
        text = path.read_text()
        names = re.findall(r"\$\{([A-Z][A-Z0-9_]+):?-", text) + re.findall(r"^([A-Z][A-Z0-9_]+) \?=", text, re.M)
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _configuration_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]


def test_every_setting_the_portal_reads_is_documented():
    section = _configuration_section()
    names = _read_names()
    for name, where in _shell_names().items():
        names.setdefault(name, set()).update(where)
    assert len(names) > 100 and "SECRET_KEY" in names and "GATEWAY_READ_TIMEOUT" in names
    undocumented = sorted(
        f"{name} (read in {', '.join(sorted(where))})"
        for name, where in names.items()
        if name not in NOT_FOR_OPERATORS
        and f"`{name}`" not in section
        and f"`{name.removesuffix('_FILE')}`" not in section
    )
    assert undocumented == [], (
        "settings read by the portal that the README's Configuration table does not list (add a row: "
        "default and meaning), or that no operator sets (NOT_FOR_OPERATORS, with why):\n  " + "\n  ".join(undocumented)
    )
    gone = sorted(set(NOT_FOR_OPERATORS) - set(names))
    assert gone == [], f"NOT_FOR_OPERATORS names settings no longer read: {gone}"


def test_the_check_finds_a_setting_read_in_any_of_the_ways():
    source = """
import os
A = env_int("NEW_LIMIT", 3)
B = os.environ.get("NEW_URL", "")
C = os.environ["NEW_NAME"]
D = environ.get("NEW_FLAG")
E = env_str(name)
F = settings.get("NOT_AN_ENVIRONMENT_VARIABLE")
"""
    assert _names_in(source) == {"NEW_LIMIT", "NEW_URL", "NEW_NAME", "NEW_FLAG"}
    assert {"SEALING_WINDOW_HOURS", "LOG_LEVEL", "GATEWAY_POLICY_KEY", "REDIS_URL"} <= set(_read_names())
    assert {"GATEWAY_STANDIN_PORT", "PORT", "TEST_WORKERS", "PORTAL_CHROMIUM"} <= set(_shell_names())


# --- 2. Enough to start -------------------------------------------------------------------------

STARTS = """
import os, sys
from django.core.exceptions import ImproperlyConfigured

kind = sys.argv[1]
try:
    if kind == "gateway":
        from gateway.__main__ import logging_setup
        from gateway.config import config_from_env

        logging_setup(os.environ)
        config_from_env()
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        if kind == "migrate":
            os.environ.setdefault("PORTAL_DB_ROLE", "owner")  # as manage.py does for `migrate`
        import django

        django.setup()
        from django.conf import settings

        assert not settings.DEBUG and not settings.TESTING, "not the production mode"
        from tenants.keys import certificates, envelope
        from tenants.record import signing

        envelope.master_keys()
        signing.signing_key()
        certificates.certificate_key()
        if kind == "worker":
            from deployments import published

            published.gateway_key_load()
        if kind == "migrate":
            assert settings.DATABASES["default"]["USER"] != "portal_app", "migrate runs as the runtime role"
        else:
            assert settings.DATABASES["default"]["USER"] == "portal_app", "not the runtime role"
except Exception as refusal:  # noqa: BLE001 - whatever stops it, said in one line
    print(f"REFUSED: {type(refusal).__name__}: {refusal}")
    sys.exit(3)
print("STARTED")
"""


@pytest.fixture(scope="module")
def secret_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    subprocess.run(
        [sys.executable, "scripts/generate_secrets.py", "--dir", str(folder)], cwd=ROOT, check=True, capture_output=True
    )
    return folder


def _starts(kind: str, environment: dict[str, str]) -> str:
    """Start `kind` (web, worker, beat, migrate, gateway) with exactly `environment` and the system's
    PATH; '' when it starts, else what it said."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environment}
    result = subprocess.run(
        [sys.executable, "-c", STARTS, kind], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return "" if result.returncode == 0 and "STARTED" in result.stdout else (result.stdout + result.stderr)[-2000:]


def _kind(name: str) -> str:
    return name.removeprefix("portal-")


PORTAL_KINDS = ("migrate", "web", "worker", "beat", "gateway")


def _compose_processes(secret_files: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Each portal process of docker-compose.yml: its environment (a `_FILE` naming its secret file,
    or a path that does not exist when the service is not given that secret) and its command."""
    answer = _docker_compose("config", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    services = json.loads(answer.stdout)["services"]
    found = {}
    for name in PORTAL_KINDS:
        service = services[name]
        mounted = {entry["target"]: secret_files / entry["source"] for entry in service.get("secrets") or []}
        environment = {}
        for key, value in (service.get("environment") or {}).items():
            value = "" if value is None else str(value)
            if key.endswith("_FILE"):
                value = str(mounted.get(value, Path("/nonexistent") / value.lstrip("/")))
            environment[key] = value
        found[name] = (environment, [str(part) for part in service.get("command") or []])
    return found


def _secrets_made(kustomization: str) -> dict[str, set[str]]:
    """What each `kubectl create secret generic NAME --from-file=secrets/X …` line of the kustomization
    puts in the secret: NAME -> its keys."""
    text = re.sub(r"\\\n#\s*", " ", kustomization)
    made = {}
    for name, options in re.findall(r"kubectl create secret generic (\S+)((?:\s+--from-file=\S+)+)", text):
        made[name] = {option.rsplit("/", 1)[-1] for option in options.split()}
    return made


def _kubernetes_processes(secret_files: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Each container of deploy/kubernetes/ (by its Deployment's or Job's name without `portal-`): its
    environment as the pod gets it (the ConfigMap, its own variables; a `_FILE` naming the secret
    file when a mounted secret holds it, as kustomization.yaml's `kubectl create secret` lines make
    it) and its command."""
    folder = ROOT / "deploy" / "kubernetes"
    kustomization = (folder / "kustomization.yaml").read_text()
    made = _secrets_made(kustomization)
    assert {"portal-runtime", "portal-owner"} <= set(made), made
    documents = [
        document
        for name in yaml.safe_load(kustomization)["resources"]
        for document in yaml.safe_load_all((folder / name).read_text())
    ]
    config = next(d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "portal-config")
    config = config["data"]
    found = {}
    for document in documents:
        if document["kind"] not in {"Deployment", "Job"}:
            continue
        pod = _pod(document)
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        [container] = pod["containers"]
        files = {}
        for mount in container.get("volumeMounts", []):
            secret = volumes[mount["name"]].get("secret")
            if not secret:
                continue
            keys = made.get(secret["secretName"], set())
            items = secret.get("items") or [{"key": key, "path": key} for key in keys]
            for item in items:
                if item["key"] in keys:
                    files[f"{mount['mountPath']}/{item['path']}"] = secret_files / item["key"]
        environment = {}
        for source in container.get("envFrom", []):
            if source.get("configMapRef", {}).get("name") == "portal-config":
                environment.update({key: str(value) for key, value in config.items()})
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("configMapKeyRef")
            if reference:
                environment[variable["name"]] = str(config[reference["key"]])
            elif "valueFrom" in variable:
                environment[variable["name"]] = "from-the-pod"  # its name, say
            else:
                environment[variable["name"]] = str(variable["value"])
        for key, value in list(environment.items()):
            if key.endswith("_FILE"):
                environment[key] = str(files.get(value, Path("/nonexistent") / value.lstrip("/")))
        found[_kind(document["metadata"]["name"])] = (environment, [str(part) for part in container["command"]])
    assert set(found) == set(PORTAL_KINDS), sorted(found)
    return found


@pytest.mark.parametrize("deployment", ["compose", "kubernetes"])
def test_every_portal_process_gets_what_it_needs_to_start(deployment, secret_files):
    processes = (_compose_processes if deployment == "compose" else _kubernetes_processes)(secret_files)
    problems = {kind: said for kind, (environment, _) in processes.items() if (said := _starts(kind, environment))}
    assert problems == {}, "\n\n".join(f"{deployment} {kind}:\n{said}" for kind, said in problems.items())


# Read from the command line instead, where the deployment files say it there.
ON_THE_COMMAND_LINE = {"GATEWAY_HOST": "--host"}


def _machine_defaults() -> dict[str, set[str]]:
    """The settings whose default is only right on a developer's machine (it names 127.0.0.1 or
    localhost: where Redis is, the links in mails, the hosts served…) -> the processes reading them."""
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
    found: dict[str, set[str]] = {}
    for path in [*files, ROOT / "gunicorn.conf.py"]:
        relative = str(path.relative_to(ROOT))
        if relative == "gateway/standin.py":
            continue  # the stand-in upstream, not the portal
        if relative in {"gateway/__main__.py", "gateway/config.py"}:
            kinds = {"gateway"}
        elif relative == "gunicorn.conf.py":
            kinds = {"web"}
        else:
            kinds = {"migrate", "web", "worker", "beat"}
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)):
                continue
            default = ast.unparse(node.args[1])
            if ("127.0.0.1" in default or "localhost" in default) and node.args[0].value in _names_in(
                ast.unparse(node)
            ):
                found.setdefault(node.args[0].value, set()).update(kinds)
    return found


@pytest.mark.parametrize("deployment", ["compose", "kubernetes"])
def test_every_setting_whose_default_is_a_developers_machine_is_set(deployment, secret_files):
    """A default of 127.0.0.1 or localhost starts, and then mails links to the operator's own machine,
    or looks for Redis there: each process that reads such a setting is given it by the files."""
    machine = _machine_defaults()
    assert {"PORTAL_BASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_HOST", "FORWARDED_ALLOW_IPS"} <= set(machine)
    processes = (_compose_processes if deployment == "compose" else _kubernetes_processes)(secret_files)
    missing = []
    for name, kinds in sorted(machine.items()):
        for kind in sorted(kinds):
            environment, command = processes[kind]
            if name not in environment and ON_THE_COMMAND_LINE.get(name, "-") not in command:
                missing.append(f"{kind}: {name}")
    assert missing == [], f"{deployment} leaves these settings at a developer's default: {missing}"


def test_a_process_missing_a_required_setting_is_refused_with_its_name(secret_files):
    """The check above can fail: the web of compose without its certificate key is refused, named."""
    answer = _docker_compose("config", "--format", "json")
    web = json.loads(answer.stdout)["services"]["web"]
    environment = {key: str(value) for key, value in web["environment"].items() if key != "CERTIFICATE_KEY_FILE"}
    for key, value in environment.items():
        if value.startswith("/run/secrets/"):
            environment[key] = str(secret_files / value.rsplit("/", 1)[-1])
    said = _starts("web", environment)
    assert "CERTIFICATE_KEY or CERTIFICATE_KEY_FILE must be set" in said, said
