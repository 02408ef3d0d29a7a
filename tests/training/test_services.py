"""Services and selectors of training: quiz scoring and pass marks, versions, rosters,
requirements, reminders and the onboarding step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenants import onboarding
from tenants.access import access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.conftest import deliver_mail
from training import catalogue as catalogue_text
from training import renewals, selectors, services
from training.models import Certificate, Enrolment, ModuleProgress, ProgrammeVersion, QuizAttempt

from .conftest import complete, enrol, right_answers

pytestmark = pytest.mark.django_db


def events(country, prefix="training."):
    with country_context(country):
        return list(CountryEvent.objects.filter(action__startswith=prefix).values_list("action", "payload"))


# --- Quiz scoring --------------------------------------------------------------------------------


def test_catalogue_has_five_programmes_each_with_modules_and_quizzes(catalogue):
    assert len(catalogue) == 5
    for programme in catalogue.values():
        version = programme.versions.get()
        assert 2 <= len(version.modules) <= 4
        for module in version.modules:
            assert module["body"].strip()
            assert 3 <= len(module["quiz"]) <= 5
            for question in module["quiz"]:
                assert 0 <= question["answer"] < len(question["options"])
    assert services.catalogue_sync() == 0  # idempotent: nothing changed, no new version


@pytest.mark.parametrize(
    "pass_mark,correct,passed",
    [
        (50, 2, True),  # exactly the mark
        (50, 1, False),  # just under
        (75, 3, True),
        (76, 3, False),
        (100, 4, True),
        (100, 3, False),
    ],
)
def test_quiz_score_against_the_pass_mark(catalogue, pass_mark, correct, passed):
    programme = catalogue["ai-literacy"]
    quiz = [{"question": f"Q{i}", "options": ["right", "wrong"], "answer": 0} for i in range(4)]
    version = ProgrammeVersion.objects.create(
        programme=programme,
        number=99,
        pass_mark=pass_mark,
        content={"modules": [{"title": "M", "body": "b", "links": [], "quiz": quiz}]},
    )
    answers = [0] * correct + [1] * (4 - correct)
    assert services.quiz_score(version=version, module=0, answers=answers) == (correct, 4, passed)


def test_a_failed_attempt_is_stored_and_completes_nothing(cast, catalogue):
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    wrong = [(a + 1) % 3 for a in right_answers(enrolment, 0)]
    attempt = services.quiz_submit(
        enrolment=enrolment, by=cast.member, access=access_for(cast.member), module=0, answers=wrong
    )
    assert (attempt.correct, attempt.total, attempt.passed) == (0, 3, False)
    with country_context(cast.fr):
        assert QuizAttempt.objects.count() == 1
        assert not ModuleProgress.objects.exists()


def test_passing_every_module_completes_and_issues_a_certificate(cast, catalogue):
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    certificate = complete(enrolment, cast.member)
    assert certificate.user_id == cast.member.pk
    assert certificate.expires_at > timezone.now() + timedelta(days=700)
    actions = [a for a, _ in events(cast.fr)]
    assert {"training.enrolled", "training.quiz_attempted", "training.completed", "training.certificate_issued"} <= set(
        actions
    )


@pytest.mark.parametrize("answers", [[0, 0], [0, 0, 0, 0], [0, 0, 9], ["a", 0, 0], None])
def test_malformed_answers_are_refused_and_change_nothing(cast, catalogue, answers):
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    with pytest.raises(ServiceError) as error:
        services.quiz_submit(
            enrolment=enrolment, by=cast.member, access=access_for(cast.member), module=0, answers=answers
        )
    assert "Answer all 3 questions" in error.value.message
    with country_context(cast.fr):
        assert not QuizAttempt.objects.exists()


def test_only_the_person_enrolled_answers(cast, catalogue):
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    with pytest.raises(NotAllowed):
        services.quiz_submit(
            enrolment=enrolment,
            by=cast.owner,
            access=access_for(cast.owner),
            module=0,
            answers=right_answers(enrolment, 0),
        )


# --- Versions ------------------------------------------------------------------------------------


def test_a_new_version_does_not_rewrite_completed_work(cast, catalogue, monkeypatch):
    programme = catalogue["ai-literacy"]
    done = enrol(cast.fr, cast.member, programme)
    certificate = complete(done, cast.member)
    started = enrol(cast.fr, cast.owner, programme)
    changed = [dict(p) for p in catalogue_text.PROGRAMMES]
    changed[0] = {
        **changed[0],
        "modules": changed[0]["modules"][:1]
        + [
            {
                "title": "A new module",
                "body": "New text.",
                "links": [],
                "quiz": [{"question": "Q", "options": ["a", "b"], "answer": 1}] * 3,
            }
        ],
    }
    monkeypatch.setattr(catalogue_text, "PROGRAMMES", changed)
    assert services.catalogue_sync() == 1
    assert programme.versions.count() == 2
    with country_context(cast.fr):
        done.refresh_from_db()
        started.refresh_from_db()
        certificate.refresh_from_db()
    assert done.version.number == 1 and done.status == Enrolment.Status.COMPLETED
    assert certificate.version.number == 1
    assert started.version.number == 1  # pinned: the person carries on with what they started
    assert started.version.modules[1]["title"] == "Deciding whether AI fits a task"
    newcomer = enrol(cast.fr, cast.viewer, programme)
    assert newcomer.version.number == 2


# --- Enrolment ------------------------------------------------------------------------------------


def test_enrolment_rules(cast, catalogue):
    programme = catalogue["ai-literacy"]
    with pytest.raises(NotAllowed):
        enrol(cast.fr, cast.viewer, programme, by=cast.member)  # officers enrol only themselves
    with pytest.raises(NotAllowed):
        enrol(cast.fr, cast.outsider, programme)  # not a member of FR
    enrol(cast.fr, cast.viewer, programme, by=cast.owner)
    with pytest.raises(ServiceError, match="already enrolled"):
        enrol(cast.fr, cast.viewer, programme, by=cast.owner)
    with pytest.raises(ServiceError, match="active member"):
        enrol(cast.fr, cast.outsider, programme, by=cast.owner)


def test_enrol_by_role_skips_those_already_enrolled(cast, catalogue):
    programme = catalogue["data-protection-ai"]
    owner = access_for(cast.owner)
    assert (
        services.enrolment_create_for_role(
            country=cast.fr, by=cast.owner, access=owner, programme=programme, role="officer"
        )
        == 1
    )
    assert (
        services.enrolment_create_for_role(
            country=cast.fr, by=cast.owner, access=owner, programme=programme, role="officer"
        )
        == 0
    )
    with pytest.raises(NotAllowed):
        services.enrolment_create_for_role(
            country=cast.fr, by=cast.member, access=access_for(cast.member), programme=programme, role="viewer"
        )
    assert (
        "training.role_enrolled",
        {"programme": programme.pk, "kind": "catalogue", "role": "officer", "count": 1},
    ) in events(cast.fr)


# --- Rosters ------------------------------------------------------------------------------------


def roster(cast, text: bytes | str):
    data = text.encode() if isinstance(text, str) else text
    return services.roster_import(country=cast.fr, by=cast.owner, access=access_for(cast.owner), data=data)


def test_roster_imports_all_rows(cast, catalogue):
    count = roster(
        cast,
        "email,programme,due_date\nmember@example.org,ai-literacy,2027-01-31\n"
        "VIEWER@example.org, impact-assessment ,\n",
    )
    assert count == 2
    with country_context(cast.fr):
        assert Enrolment.objects.filter(source="roster").count() == 2
    assert ("training.roster_imported", {"count": 2}) in events(cast.fr)


@pytest.mark.parametrize(
    "header",
    [
        "Adresse électronique,Code du programme,Date limite",  # French
        "البريد الإلكتروني,رمز البرنامج,تاريخ الاستحقاق",  # Arabic
        " EMAIL ,Programme code,due_date",  # keys and English, in any case
    ],
)
def test_a_roster_headed_in_any_of_the_portals_languages_is_read(cast, catalogue, header):
    count = roster(cast, f"{header}\nmember@example.org,ai-literacy,2027-01-31\n")
    assert count == 1
    with country_context(cast.fr):
        assert Enrolment.objects.get(source="roster").due_date.isoformat() == "2027-01-31"


def test_roster_problems_are_told_in_the_readers_language(cast, catalogue):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(services.RosterRefused) as refused:
        roster(cast, "email,programme\nnobody@example.org,ai-literacy\nnobody@example.org,ai-literacy\n")
    assert refused.value.message.startswith("La liste comporte 2 problèmes")
    assert [e.line for e in refused.value.errors] == [2, 3]
    assert "France" in refused.value.errors[0].reason and "membre actif" in refused.value.errors[0].reason


def test_roster_with_bad_rows_imports_nothing_and_reports_each_line(cast, catalogue):
    text = (
        "email,programme,due_date\n"
        "member@example.org,ai-literacy,\n"  # line 2: fine
        "nobody@example.org,ai-literacy,\n"  # line 3: not a member
        "viewer@example.org,no-such-course,\n"  # line 4: unknown programme
        "viewer@example.org,ai-literacy,31/12/2026\n"  # line 5: bad date
        ",ai-literacy,\n"  # line 6: no email
        "member@example.org,ai-literacy,\n"  # line 7: duplicate of line 2
        "outsider@example.org,ai-literacy,\n"
    )  # line 8: another country's person
    with pytest.raises(services.RosterRefused) as refused:
        roster(cast, text)
    lines = {e.line: e.reason for e in refused.value.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "No active member of France" in lines[3]
    assert "no-such-course" in lines[4]
    assert "2026-12-31" in lines[5]
    assert "missing" in lines[6]
    assert "twice" in lines[7]
    with country_context(cast.fr):
        assert not Enrolment.objects.exists()
    assert events(cast.fr) == []


@pytest.mark.parametrize(
    "data,message",
    [
        ("email,programme\n".encode("utf-16"), "not UTF-8"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"name,course\nx,y\n", "first line must name the columns"),
        (b"", "first line must name the columns"),
        (b"email,programme\n", "no rows"),
        (b"email,programme\n" + b"a" * (300 * 1024), "larger than"),
    ],
)
def test_roster_files_that_cannot_be_read_are_refused_clearly(cast, catalogue, data, message):
    with pytest.raises(ServiceError, match=message):
        roster(cast, data)


def test_roster_already_enrolled_and_permissions(cast, catalogue):
    enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    with pytest.raises(services.RosterRefused) as refused:
        roster(cast, "email,programme\nmember@example.org,ai-literacy\n")
    assert refused.value.errors[0].line == 2 and "already enrolled" in refused.value.errors[0].reason
    with pytest.raises(NotAllowed):
        services.roster_import(
            country=cast.fr,
            by=cast.member,
            access=access_for(cast.member),
            data=b"email,programme\nviewer@example.org,ai-literacy\n",
        )


# --- Requirements ---------------------------------------------------------------------------------


def test_person_meets_platform_and_country_requirements(cast, catalogue):
    result = selectors.person_meets_requirements(country=cast.fr, user=cast.member)
    assert not result.ok and result.missing == ["AI literacy for civil servants"]
    assert "Complete AI literacy for civil servants" in result.reason
    complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    assert selectors.person_meets_requirements(country=cast.fr, user=cast.member).ok
    services.requirement_add(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        programme=catalogue["data-protection-ai"],
        role="officer",
        sector="health",
    )
    assert selectors.person_meets_requirements(country=cast.fr, user=cast.member, sector="education").ok
    health = selectors.person_meets_requirements(country=cast.fr, user=cast.member, sector="health")
    assert not health.ok and health.missing == ["Data protection in AI projects"]
    # Viewers have no platform requirement; a person of another country is not a member here.
    assert selectors.person_meets_requirements(country=cast.fr, user=cast.viewer).ok
    assert not selectors.person_meets_requirements(country=cast.fr, user=cast.outsider).ok
    assert any(a == "training.requirement_added" for a, _ in events(cast.fr))


def test_an_expired_certificate_no_longer_counts(cast, catalogue):
    certificate = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    with country_context(cast.fr):
        Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert not selectors.person_meets_requirements(country=cast.fr, user=cast.member).ok


def test_organisation_meets_requirements(cast, catalogue):
    result = selectors.organisation_meets_requirements(organisation=cast.fr_ministry)
    assert not result.ok and "2 of 2 people" in result.reason
    complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    complete(enrol(cast.fr, cast.owner, catalogue["ai-literacy"]), cast.owner)
    assert selectors.organisation_meets_requirements(organisation=cast.fr_ministry).ok
    assert selectors.organisation_meets_requirements(organisation=cast.fr_agency).ok  # a viewer only


def test_onboarding_step_follows_the_rule(cast, catalogue):
    # Only our step: the other apps' steps are theirs to test.
    def step():
        with country_context(cast.fr):
            return onboarding._registry["training"](cast.fr)

    assert step().state == "not_started"
    complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    assert step().state == "in_progress" and "1 of 2" in step().detail
    complete(enrol(cast.fr, cast.owner, catalogue["ai-literacy"]), cast.owner)
    assert step().state == "done"


def test_requirement_rules(cast, catalogue):
    with pytest.raises(NotAllowed):
        services.requirement_add(
            country=cast.fr,
            by=cast.member,
            access=access_for(cast.member),
            programme=catalogue["ai-literacy"],
            role="viewer",
        )
    requirement = services.requirement_add(
        country=cast.fr, by=cast.owner, access=access_for(cast.owner), programme=catalogue["ai-literacy"], role="viewer"
    )
    with pytest.raises(ServiceError, match="already exists"):
        services.requirement_add(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            programme=catalogue["ai-literacy"],
            role="viewer",
        )
    services.requirement_remove(
        requirement=requirement, by=cast.owner, access=access_for(cast.owner), reason="Covered by the new course."
    )
    assert selectors.person_meets_requirements(country=cast.fr, user=cast.viewer).ok


# --- Reminders ------------------------------------------------------------------------------------


def test_reminders_go_once_to_holders_of_certificates_about_to_expire(cast, catalogue):
    soon = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    complete(enrol(cast.fr, cast.owner, catalogue["ai-literacy"]), cast.owner)  # two years left
    with country_context(cast.fr):
        Certificate.objects.filter(pk=soon.pk).update(expires_at=timezone.now() + timedelta(days=10))
    assert renewals.certificate_reminders_send(country_id=cast.fr.pk) == 1
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["member@example.org"]]
    assert renewals.certificate_reminders_send(country_id=cast.fr.pk) == 0
    assert ("training.reminders_sent", {"count": 1}) in events(cast.fr)


def test_ledger_payloads_carry_ids_and_counts_only(cast, catalogue):
    complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    for _, payload in events(cast.fr):
        assert all(isinstance(v, (int, str, bool)) for v in payload.values())
        assert "member" not in str(payload) and "@" not in str(payload)


def test_the_reminder_task_is_a_thin_door_taking_the_country_id(cast, catalogue):
    from training import tasks

    soon = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    with country_context(cast.fr):
        Certificate.objects.filter(pk=soon.pk).update(expires_at=timezone.now() + timedelta(days=3))
    assert tasks.certificate_reminders_send.apply(kwargs={"country_id": cast.fr.pk}).get() == 1
    assert tasks.certificate_reminders_send.apply(kwargs={"country_id": cast.ke.pk}).get() == 0
