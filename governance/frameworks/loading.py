"""Loading framework files into the database: every file is read and checked first, then all of
them are written in one transaction, so that a refusal anywhere leaves nothing half-loaded.

Versions (docs/frameworks.md): a file whose slug and version are already loaded updates that
version in place, and may add requirements but never drop one (countries may hold statuses and
evidence on it); a higher version is loaded beside the earlier ones and becomes the current one
(the earlier versions stay, read-only, with every country's statuses and evidence); a lower
version than one loaded is refused. Mappings are resolved against the files of the same import
first, then against the current versions already loaded; a mapping that names nothing is refused.

Writes take the model classes as an argument so that the data migration can run the same code on
its historical models."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import ciso_assistant, portal_format, reading
from .reading import FrameworkFileError, Problem
from .spec import FileSpec, FrameworkSpec, MappingSpec, RequirementRef

LIBRARY = Path(__file__).resolve().parent / "library"
FORMATS = ("auto", "portal", "ciso-assistant")


@dataclass(frozen=True)
class Models:
    Framework: type
    Requirement: type
    RequirementMapping: type

    @classmethod
    def current(cls) -> Models:
        from governance.models import Framework, Requirement, RequirementMapping

        return cls(Framework, Requirement, RequirementMapping)

    @classmethod
    def historical(cls, apps) -> Models:
        return cls(*(apps.get_model("governance", name) for name in ("Framework", "Requirement", "RequirementMapping")))


@dataclass
class Outcome:
    slug: str
    version: int
    name: str
    status: str  # created, new_version, updated, unchanged, mappings
    requirements: int = 0
    mappings: int = 0
    framework: object = None


def max_bytes() -> int:
    return int(getattr(settings, "FRAMEWORK_FILE_MAX_BYTES", 20 * 2**20))


def read_file(data: bytes | str, *, name: str, fmt: str = "auto", origin: str = "imported") -> FileSpec:
    """One file, read and checked (nothing is written): its frameworks and mappings, or
    FrameworkFileError with every problem found, each naming the file and the line."""
    try:
        document = reading.read(data, max_bytes=max_bytes())
        sha256 = portal_format.sha256_of(data)
        if fmt == "auto":
            fmt = (
                "portal"
                if portal_format.is_portal_format(document)
                else "ciso-assistant"
                if ciso_assistant.is_ciso_library(document)
                else ""
            )
        if fmt == "portal":
            spec, problems = portal_format.parse(document, sha256=sha256, origin=origin)
            result = FileSpec(name=name, frameworks=[spec] if spec else [])
        elif fmt == "ciso-assistant":
            result, problems = ciso_assistant.parse(document, name=name, sha256=sha256)
        else:
            problems = [
                Problem(
                    getattr(document, "line", None),
                    _(
                        "This file is in neither accepted format: a framework file starts with "
                        "“format: %(format)s”, and a CISO Assistant library has “urn” and “objects” at its top."
                    )
                    % {"format": portal_format.FORMAT},
                )
            ]
        if problems:
            raise FrameworkFileError(problems)
        return result
    except FrameworkFileError as error:
        raise FrameworkFileError([dataclasses.replace(p, file=name) for p in error.problems]) from None


def shipped_files() -> list[FileSpec]:
    return [
        read_file(path.read_bytes(), name=path.name, fmt="portal", origin="shipped")
        for path in sorted(LIBRARY.glob("*.yaml"))
    ]


def shipped_load(models: Models | None = None) -> list[Outcome]:
    """The programme's own frameworks (idempotent: an unchanged file is skipped)."""
    with transaction.atomic():
        return store(shipped_files(), models=models or Models.current())


def store(files: list[FileSpec], *, models: Models) -> list[Outcome]:
    """Write the files' frameworks, then their mappings, in the caller's transaction. Raises
    FrameworkFileError (the caller's transaction must then roll back) on any conflict."""
    writer = _Writer(models)
    problems: list[Problem] = []
    outcomes: list[Outcome] = []
    for file in files:
        for spec in file.frameworks:
            try:
                outcomes.append(writer.framework(spec))
            except FrameworkFileError as error:
                problems += [dataclasses.replace(p, file=file.name) for p in error.problems]
    if problems:
        raise FrameworkFileError(problems)
    for file in files:
        for spec, outcome in ((s, o) for s in file.frameworks for o in outcomes if o.slug == s.slug):
            if outcome.status == "unchanged":
                continue
            count, found = writer.mappings(spec.mappings, replace_for=outcome.framework)
            outcome.mappings = count
            problems += [dataclasses.replace(p, file=file.name) for p in found]
        if file.mappings:
            count, found = writer.mappings(file.mappings, replace_for=None)
            problems += [dataclasses.replace(p, file=file.name) for p in found]
            outcomes.append(Outcome(slug="", version=0, name=file.name, status="mappings", mappings=count))
    if problems:
        raise FrameworkFileError(problems)
    return outcomes


class _Writer:
    def __init__(self, models: Models):
        self.m = models
        self.batch: dict[str, dict[str, object]] = {}  # slug -> code -> Requirement row
        self.by_urn: dict[str, object] = {}

    def framework(self, spec: FrameworkSpec) -> Outcome:
        F, R = self.m.Framework, self.m.Requirement
        if spec.slug in self.batch:
            raise FrameworkFileError(
                [
                    Problem(
                        spec.line,
                        _("Two files of this import load the framework “%(slug)s”: load one.") % {"slug": spec.slug},
                    )
                ]
            )
        existing = F.objects.filter(slug=spec.slug, version=spec.version).first()
        latest = F.objects.filter(slug=spec.slug).order_by("-version").first()
        if latest is not None and latest.urn and spec.urn and latest.urn != spec.urn:
            raise FrameworkFileError(
                [
                    Problem(
                        spec.line,
                        _("The slug “%(slug)s” belongs to another framework already loaded (%(other)s).")
                        % {"slug": spec.slug, "other": latest.name},
                    )
                ]
            )
        if existing is None and latest is not None and latest.version > spec.version:
            raise FrameworkFileError(
                [
                    Problem(
                        spec.line,
                        _(
                            "Version %(version)s of “%(slug)s” is older than the loaded version %(latest)s: give this file version %(next)s or later."
                        )
                        % {
                            "version": spec.version,
                            "slug": spec.slug,
                            "latest": latest.version,
                            "next": latest.version + 1,
                        },
                    )
                ]
            )
        values = {
            "name": spec.name,
            "summary": spec.summary,
            "description": spec.description,
            "language": spec.language,
            "publisher": spec.publisher,
            "source_title": spec.source_title,
            "source_url": spec.source_url,
            "urn": spec.urn,
            "origin": spec.origin,
            "content_sha256": spec.sha256,
        }
        if existing is not None and spec.sha256 and existing.content_sha256 == spec.sha256:
            self._remember(spec.slug, existing)
            return Outcome(spec.slug, spec.version, spec.name, "unchanged", len(spec.requirements), framework=existing)
        if existing is not None and not existing.is_current:
            raise FrameworkFileError(
                [
                    Problem(
                        spec.line,
                        _(
                            "Version %(version)s of “%(slug)s” is kept as it was for the record, and version "
                            "%(latest)s is current (it is older than the loaded version %(latest)s): "
                            "give this file version %(next)s."
                        )
                        % {
                            "version": spec.version,
                            "slug": spec.slug,
                            "latest": latest.version,
                            "next": latest.version + 1,
                        },
                    )
                ]
            )
        if existing is not None:
            wanted = {r.code for r in spec.requirements}
            dropped = sorted(set(R.objects.filter(framework=existing).values_list("code", flat=True)) - wanted)
            if dropped:
                raise FrameworkFileError(
                    [
                        Problem(
                            spec.line,
                            _(
                                "Version %(version)s of “%(slug)s” is already loaded with requirements this file lacks "
                                "(%(codes)s). Countries may hold statuses and evidence on them: keep them, or give "
                                "the file a new version number."
                            )
                            % {"version": spec.version, "slug": spec.slug, "codes": ", ".join(dropped[:10])},
                        )
                    ]
                )
            for key, value in values.items():
                setattr(existing, key, value)
            existing.imported_at = timezone.now()
            existing.save()
            framework, status = existing, "updated"
        else:
            if latest is not None:
                F.objects.filter(slug=spec.slug, is_current=True).update(is_current=False)
            framework = F.objects.create(slug=spec.slug, version=spec.version, is_current=True, **values)
            status = "new_version" if latest is not None else "created"
        self._requirements(spec, framework)
        if status == "new_version":
            self._carry_incoming_mappings(latest, framework)
        self._remember(spec.slug, framework)
        return Outcome(spec.slug, spec.version, spec.name, status, len(spec.requirements), framework=framework)

    def _remember(self, slug: str, framework) -> None:
        rows = {r.code: r for r in self.m.Requirement.objects.filter(framework=framework)}
        self.batch[slug] = rows
        self.by_urn.update({r.urn: r for r in rows.values() if r.urn})

    def _requirements(self, spec: FrameworkSpec, framework) -> None:
        R = self.m.Requirement
        rows = {r.code: r for r in R.objects.filter(framework=framework)}
        fields = ["title", "reference", "description", "references", "depth", "assessable", "urn", "position", "parent"]
        changed = []
        ordered = sorted(enumerate(spec.requirements), key=lambda pair: pair[1].depth)
        for depth in sorted({r.depth for r in spec.requirements}):
            new = []
            for position, req in (pair for pair in ordered if pair[1].depth == depth):
                values = {
                    "title": req.title,
                    "reference": req.reference,
                    "description": req.description,
                    "references": req.references,
                    "depth": req.depth,
                    "assessable": req.assessable,
                    "urn": req.urn,
                    "position": position,
                    "parent": rows[req.parent] if req.parent else None,
                }
                row = rows.get(req.code)
                if row is None:
                    new.append(R(framework=framework, code=req.code, **values))
                elif any(getattr(row, name) != value for name, value in values.items()):
                    for name, value in values.items():
                        setattr(row, name, value)
                    changed.append(row)
            for row in R.objects.bulk_create(new, batch_size=500):
                rows[row.code] = row
        if changed:
            R.objects.bulk_update(changed, fields, batch_size=500)

    def _carry_incoming_mappings(self, previous, framework) -> None:
        """Mappings that other frameworks declared towards the previous version now point at the
        same requirement (by code) in the new one too."""
        M, R = self.m.RequirementMapping, self.m.Requirement
        new_rows = {r.code: r for r in R.objects.filter(framework=framework)}
        carried = []
        for mapping in (
            M.objects.filter(target__framework=previous)
            .exclude(source__framework__slug=framework.slug)
            .select_related("target")
        ):
            target = new_rows.get(mapping.target.code)
            if target is not None:
                carried.append(
                    M(source_id=mapping.source_id, target=target, relationship=mapping.relationship, note=mapping.note)
                )
        M.objects.bulk_create(carried, ignore_conflicts=True)

    def _resolve(self, ref: RequirementRef):
        R = self.m.Requirement
        if ref.urn:
            found = self.by_urn.get(ref.urn)
            return found or R.objects.filter(urn=ref.urn, framework__is_current=True).first()
        if ref.slug in self.batch:
            return self.batch[ref.slug].get(ref.code)
        return R.objects.filter(framework__slug=ref.slug, framework__is_current=True, code=ref.code).first()

    def mappings(self, specs: list[MappingSpec], *, replace_for) -> tuple[int, list[Problem]]:
        M = self.m.RequirementMapping
        problems, pairs = [], {}
        for spec in specs:
            source, target = self._resolve(spec.source), self._resolve(spec.target)
            for ref, row in ((spec.source, source), (spec.target, target)):
                if row is None:
                    problems.append(
                        Problem(
                            spec.line,
                            _(
                                "The mapping names “%(ref)s”, which is not loaded: load that framework first, or in the same import."
                            )
                            % {"ref": str(ref)[:160]},
                        )
                    )
            if source is None or target is None:
                continue
            if source.framework_id == target.framework_id:
                problems.append(
                    Problem(spec.line, _("A mapping links two different frameworks; this one stays within one."))
                )
                continue
            pairs.setdefault((source.pk, target.pk), spec)
        if problems:
            return 0, problems
        if replace_for is not None:
            M.objects.filter(source__framework=replace_for).delete()
            M.objects.bulk_create(
                [
                    M(source_id=s, target_id=t, relationship=spec.relationship, note=spec.note)
                    for (s, t), spec in pairs.items()
                ],
                batch_size=500,
            )
        else:
            for (s, t), spec in pairs.items():
                M.objects.update_or_create(
                    source_id=s, target_id=t, defaults={"relationship": spec.relationship, "note": spec.note}
                )
        return len(pairs), []
