"""The `openai` provisioner against a stand-in for the OpenAI Admin API, served on 127.0.0.1 by the
test itself: a job makes one project, one service account key (the environment's upstream key,
sealed for the gateway, while people get a portal credential) and the rate limit;
a re-run makes nothing twice; a 5xx or 429 leaves the step to be retried; a 4xx fails the job."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from deployments import policy, provisioning, services, tasks
from deployments.backends import BackendUnavailable
from deployments.models import Credential, Environment, ProvisioningJob, job_failure
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db
ADMIN_KEY = "admin-test-key"


class StandIn:
    """The state of the stand-in API and the failures a test asks it to answer with."""

    def __init__(self):
        self.projects: list[dict] = []
        self.accounts: list[dict] = []
        self.limits: dict[str, int] = {}
        self.calls: list[str] = []
        self.fail: dict[str, list[int]] = {}  # "METHOD path-pattern" -> statuses to answer with, in turn

    def handle(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        self.calls.append(f"{method} {path}")
        for pattern, statuses in self.fail.items():
            if statuses and re.fullmatch(pattern, f"{method} {path}"):
                return statuses.pop(0), {"error": {"message": "stand-in failure"}}
        if method == "GET" and path.startswith("/v1/organization/projects?"):
            return 200, {"data": self.projects}
        if method == "POST" and path == "/v1/organization/projects":
            project = {"id": f"proj_{len(self.projects) + 1}", "name": body["name"], "status": "active"}
            self.projects.append(project)
            return 200, project
        if match := re.fullmatch(r"/v1/organization/projects/(\w+)/service_accounts", path):
            account = {
                "id": f"svc_{len(self.accounts) + 1}",
                "project": match.group(1),
                "api_key": {"id": f"key_{len(self.accounts) + 1}", "value": f"sk-proj-{len(self.accounts) + 1}-xyz"},
            }
            self.accounts.append(account)
            return 200, account
        if method == "GET" and re.fullmatch(r"/v1/organization/projects/\w+/rate_limits", path):
            return 200, {"data": [{"id": "rl-aurora", "model": "aurora-large"}, {"id": "rl-other", "model": "other"}]}
        if match := re.fullmatch(r"/v1/organization/projects/(\w+)/rate_limits/([\w-]+)", path):
            self.limits[match.group(2)] = body["max_tokens_per_1_minute"]
            return 200, {"id": match.group(2)}
        if re.fullmatch(r"/v1/organization/projects/\w+/archive", path):
            return 200, {}
        return 404, {"error": {"message": "no such path"}}


@pytest.fixture
def stand_in(settings):
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method):
            if self.headers.get("Authorization") != f"Bearer {ADMIN_KEY}":
                status, body = 401, {"error": {"message": "bad admin key"}}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                status, body = state.handle(method, self.path, json.loads(self.rfile.read(length) or b"{}"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DEPLOYMENTS_PROVISIONER = "openai"
    settings.OPENAI_ADMIN_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.OPENAI_ADMIN_KEY = ADMIN_KEY
    yield state
    server.shutdown()
    server.server_close()


def approved_job(cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    item = services.deployment_request_transition(
        request=item, action="approve", **act(cast.partner), quota_tokens=43_200_000
    )
    with country_context(cast.fr):
        return item, ProvisioningJob.objects.get(request=item)


def run(cast, job):
    return provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)


def test_a_job_makes_a_project_a_key_and_the_rate_limit(cast, ready, stand_in, settings):
    item, job = approved_job(cast, ready)
    assert run(cast, job) == "done"
    with country_context(cast.fr):
        environment = Environment.objects.get(request=item)
        credential = Credential.objects.get()
    assert (environment.backend, environment.external_id) == ("openai", "proj_1")
    # The project's key is the environment's upstream key, sealed for the gateway; people get a
    # portal credential, which only the gateway accepts.
    assert environment.upstream_key == "sk-proj-1-xyz"
    assert credential.prefix.startswith("sk-portal-") and credential.key_hash != provisioning.secret_hash(
        "sk-proj-1-xyz"
    )
    with country_context(cast.fr):
        built = policy.policy_build(environment=environment, request=environment.request, version=3)
    assert built.upstream_url == settings.OPENAI_ADMIN_URL and built.upstream_key.startswith("gw1:")
    assert "sk-proj-1-xyz" not in json.dumps(built.as_dict())
    assert stand_in.limits == {"rl-aurora": 1000}  # 43.2 M tokens a month is 1000 a minute
    assert run(cast, job) == "done"
    assert (len(stand_in.projects), len(stand_in.accounts)) == (1, 1)


def test_an_unavailable_api_leaves_the_step_for_a_retry(cast, ready, stand_in):
    item, job = approved_job(cast, ready)
    stand_in.fail = {r"POST /v1/organization/projects/\w+/service_accounts": [503, 429]}
    for _ in range(2):
        with pytest.raises(BackendUnavailable, match="(503|429)"):
            run(cast, job)
    with country_context(cast.fr):
        job.refresh_from_db()
        assert job.state == "running" and [bool(s["done_at"]) for s in job.steps][:3] == [True, True, False]
    assert run(cast, job) == "done"  # what the task's retry with backoff does
    assert (len(stand_in.projects), len(stand_in.accounts)) == (1, 1)
    assert BackendUnavailable in tasks.provisioning_run.autoretry_for or OSError in tasks.provisioning_run.autoretry_for


def test_a_project_made_before_a_crash_is_found_not_made_again(cast, ready, stand_in):
    item, job = approved_job(cast, ready)
    stand_in.projects.append({"id": "proj_9", "name": f"portal-{cast.fr.pk}-{item.pk}", "status": "active"})
    assert run(cast, job) == "done"
    with country_context(cast.fr):
        assert Environment.objects.get(request=item).external_id == "proj_9"
    assert len(stand_in.projects) == 1


def test_a_refusal_fails_the_job_with_a_message(cast, ready, stand_in):
    item, job = approved_job(cast, ready)
    stand_in.fail = {r"POST /v1/organization/projects": [400]}
    assert run(cast, job) == "failed"
    with country_context(cast.fr):
        job.refresh_from_db()
        assert "refused (400)" in job.error and "stand-in failure" in job.error
        assert not Environment.objects.exists()
    # People read where it stopped in their language, with the provider's own words quoted.
    with translation.override("fr"):
        shown = job_failure(job)
    assert "« Créer l’environnement »" in shown and "refused (400)" in shown


def test_a_wrong_admin_key_is_a_refusal(cast, ready, stand_in, settings):
    settings.OPENAI_ADMIN_KEY = "wrong"
    item, job = approved_job(cast, ready)
    assert run(cast, job) == "failed"
    with country_context(cast.fr):
        job.refresh_from_db()
    assert "refused (401)" in job.error and "wrong" not in job.error


def test_a_refused_decommission_is_told_as_a_decommissioning_that_stopped(cast, ready, stand_in):
    from tenants.notifications.models import Notification

    item, job = approved_job(cast, ready)
    assert run(cast, job) == "done"
    with country_context(cast.fr):
        Notification.objects.all().delete()
        item.refresh_from_db()
    services.deployment_request_transition(
        request=item, action="decommission", **act(cast.owner), comment="The pilot has ended."
    )
    stand_in.fail = {r"POST /v1/organization/projects/\w+/archive": [403]}
    with country_context(cast.fr):
        removal = ProvisioningJob.objects.get(request=item, kind=ProvisioningJob.Kind.DECOMMISSION)
    assert run(cast, removal) == "failed"
    with country_context(cast.fr):
        removal.refresh_from_db()
        told = set(Notification.objects.values_list("user__username", "subject"))
        (recorded,) = CountryEvent.objects.filter(action="deployment.provisioning_failed").values_list(
            "payload", flat=True
        )
    assert "refused (403)" in removal.error
    subject = "France: decommissioning of a deployment stopped"
    assert {(cast.member.username, subject), (cast.partner.username, subject)} <= told
    assert not any("provisioning" in s for _, s in told)
    assert recorded["kind"] == "decommission" and recorded["step"] == "remove"
    with translation.override("fr"):
        assert "« Supprimer l’environnement »" in job_failure(removal)
