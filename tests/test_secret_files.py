"""The secret files have one set of names (tenants.secret_files): the ones scripts/generate_secrets.py
and `manage.py generate_keys` write are the ones docker-compose.yml and deploy/kubernetes/ mount and
point NAME_FILE at, and the development keys under var/ are kept under them too (a key made under
an earlier name is still found, never replaced)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.core.management import call_command

from tenants.secret_files import EARLIER_NAMES, KEYS, SECRET_FILES

ROOT = Path(__file__).resolve().parent.parent
NAMES = set(SECRET_FILES.values())
SETTING_OF = {name: setting for setting, name in SECRET_FILES.items()}


def _file_settings(environment: dict) -> dict[str, str]:
    """{SETTING: path} of every NAME_FILE in an environment."""
    return {key.removesuffix("_FILE"): str(value) for key, value in environment.items() if key.endswith("_FILE")}


def test_generate_secrets_writes_every_name_and_no_other(tmp_path):
    subprocess.run(
        [sys.executable, "scripts/generate_secrets.py", "--dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert {path.name for path in tmp_path.iterdir()} == NAMES


def test_generate_keys_writes_the_names_the_deployments_mount(tmp_path, monkeypatch):
    call_command("generate_keys", dir=str(tmp_path), stdout=open("/dev/null", "w"))
    assert {path.name for path in tmp_path.iterdir()} == {SECRET_FILES[setting] for setting in KEYS}
    # Each loads where its NAME_FILE points, as a deployment mounting this folder would point it.
    from deployments import published
    from tenants.keys import certificates, envelope
    from tenants.record import signing

    for setting in KEYS:
        monkeypatch.setenv(f"{setting}_FILE", str(tmp_path / SECRET_FILES[setting]))
    try:
        envelope.master_keys_reset()
        assert envelope.master_keys().current_id
        signing.signing_key_reset()
        assert signing.public_key_id()
        certificates.certificate_key_reset()
        assert len(certificates.certificate_key()) >= 32
        assert len(published.gateway_key_load()) == 32
    finally:
        envelope.master_keys_reset()
        signing.signing_key_reset()
        certificates.certificate_key_reset()


def test_a_key_made_under_its_earlier_name_is_kept_not_made_again(tmp_path):
    earlier = tmp_path / EARLIER_NAMES["PORTAL_MASTER_KEY"]
    earlier.write_text(base64.b64encode(b"k" * 32).decode())
    call_command("generate_keys", dir=str(tmp_path), stdout=open("/dev/null", "w"))
    assert not (tmp_path / SECRET_FILES["PORTAL_MASTER_KEY"]).exists()
    assert earlier.read_text() == base64.b64encode(b"k" * 32).decode()


def test_development_keys_are_kept_under_the_same_names(settings, tmp_path, monkeypatch):
    from deployments import published
    from tenants.keys import certificates, envelope
    from tenants.record import signing

    settings.VAR_DIR = tmp_path
    for setting in KEYS:
        monkeypatch.delenv(setting, raising=False)
        monkeypatch.delenv(f"{setting}_FILE", raising=False)
    try:
        envelope.master_keys_reset()
        envelope.master_keys()
        signing.signing_key_reset()
        signing.signing_key()
        certificates.certificate_key_reset()
        certificates.certificate_key()
        published.gateway_key_load({}, var_dir=tmp_path, create=True)
    finally:
        envelope.master_keys_reset()
        signing.signing_key_reset()
        certificates.certificate_key_reset()
    made = {path.name for path in tmp_path.iterdir()}
    assert made == {
        SECRET_FILES[s] for s in ("PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "CERTIFICATE_KEY", "GATEWAY_POLICY_KEY")
    }


def test_compose_mounts_the_names_and_points_each_setting_at_its_own():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    declared = {name: entry["file"] for name, entry in compose["secrets"].items()}
    assert set(declared) <= NAMES
    assert all(file == f"./secrets/{name}" for name, file in declared.items())
    environments = [compose["x-portal-env"], *(s.get("environment") or {} for s in compose["services"].values())]
    pointed = {}
    for environment in environments:
        if isinstance(environment, dict):
            pointed.update(_file_settings(environment))
    assert {"SECRET_KEY", "PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "CERTIFICATE_KEY"} <= set(pointed)
    # What their rotations retire, mounted from the start (empty until then).
    assert {
        "SECRET_KEY_FALLBACKS",
        "CERTIFICATE_KEY_FALLBACKS",
        "METRICS_TOKEN_FALLBACKS",
        "GATEWAY_POLICY_KEY_FALLBACKS",
    } <= set(pointed)
    for setting, path in pointed.items():
        assert path == f"/run/secrets/{SECRET_FILES[setting]}", (setting, path)


def test_kubernetes_mounts_the_names_and_points_each_setting_at_its_own():
    folder = ROOT / "deploy" / "kubernetes"
    kustomization = (folder / "kustomization.yaml").read_text()
    made_from = set(re.findall(r"--from-file=secrets/([a-z0-9_]+)", kustomization))
    assert made_from and made_from <= NAMES
    config = yaml.safe_load((folder / "config.yaml").read_text())["data"]
    pointed = _file_settings(config)
    for document in yaml.safe_load_all("\n---\n".join(p.read_text() for p in sorted(folder.glob("*.yaml")))):
        for container in ((document or {}).get("spec", {}).get("template", {}).get("spec", {}) or {}).get(
            "containers", []
        ):
            pointed.update(_file_settings({e["name"]: e.get("value", "") for e in container.get("env", [])}))
    assert {"SECRET_KEY", "PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "GATEWAY_POLICY_KEY", "DATABASE_URL"} <= set(
        pointed
    )
    assert {
        "SECRET_KEY_FALLBACKS",
        "CERTIFICATE_KEY_FALLBACKS",
        "METRICS_TOKEN_FALLBACKS",
        "GATEWAY_POLICY_KEY_FALLBACKS",
    } <= set(pointed)
    for setting, path in pointed.items():
        assert Path(path).name == SECRET_FILES[setting], (setting, path)
        assert SECRET_FILES[setting] in made_from, setting
