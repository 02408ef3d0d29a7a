"""The mixed load of `make bench` (benchmarks.web_bench): FR's officer, country admin, partner
manager and auditor on the API with bearer tokens (BENCH_TOKENS), in the proportions of a working
day: mostly reading, each role its own pages."""

from __future__ import annotations

import json
import os
import uuid

from locust import HttpUser, between, task

TOKENS = json.loads(os.environ.get("BENCH_TOKENS", "{}"))
FR = "/api/v1/countries/FR"


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    role = ""

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {TOKENS[self.role]}"


class Officer(Person):
    weight = 5
    role = "officer"

    @task(3)
    def engagements(self) -> None:
        self.client.get(f"{FR}/engagements/")

    @task(3)
    def deployment_requests(self) -> None:
        self.client.get(f"{FR}/deployment-requests/")

    @task(2)
    def policies(self) -> None:
        self.client.get(f"{FR}/policies/")

    @task(2)
    def training(self) -> None:
        self.client.get(f"{FR}/training/programmes/")

    @task(1)
    def country(self) -> None:
        self.client.get(f"{FR}/")


class CountryAdmin(Person):
    weight = 2
    role = "country_admin"

    @task(4)
    def members(self) -> None:
        self.client.get(f"{FR}/members/")

    @task(2)
    def organisations(self) -> None:
        self.client.get(f"{FR}/organisations/")

    @task(1)
    def add_organisation(self) -> None:
        self.client.post(
            f"{FR}/organisations/",
            json={"name": f"Agence {uuid.uuid4().hex[:10]}", "kind": "public_agency"},
            name=f"{FR}/organisations/ (create)",
        )


class PartnerManager(Person):
    weight = 2
    role = "partner"

    @task(3)
    def queue(self) -> None:
        self.client.get("/api/v1/review-queue/")

    @task(2)
    def deployments_queue(self) -> None:
        self.client.get("/api/v1/review-queue/deployments/")

    @task(1)
    def engagements(self) -> None:
        self.client.get(f"{FR}/engagements/")


class Auditor(Person):
    weight = 1
    role = "auditor"

    @task(3)
    def events(self) -> None:
        self.client.get(f"{FR}/audit-events/")

    @task(2)
    def filtered(self) -> None:
        self.client.get(f"{FR}/audit-events/?action=member.invited", name=f"{FR}/audit-events/?action=…")

    @task(1)
    def reports(self) -> None:
        self.client.get(f"{FR}/compliance-reports/")
