"""What a framework file says, once read and checked, whatever its format: the plain shapes that
governance.frameworks.loading writes into the database."""

from __future__ import annotations

from dataclasses import dataclass, field

RELATIONSHIPS = ("equal", "superset", "subset", "intersect")


@dataclass
class RequirementSpec:
    code: str
    title: str
    line: int
    reference: str = ""
    description: str = ""
    assessable: bool = True
    parent: str = ""  # code of the parent, in the same framework
    depth: int = 1
    references: list[dict] = field(default_factory=list)
    urn: str = ""


@dataclass(frozen=True)
class RequirementRef:
    """A requirement named in a mapping: by framework slug and code, or by URN (CISO Assistant)."""

    slug: str = ""
    code: str = ""
    urn: str = ""

    def __str__(self) -> str:
        return self.urn or f"{self.slug}:{self.code}"


@dataclass
class MappingSpec:
    source: RequirementRef
    target: RequirementRef
    relationship: str
    line: int
    note: str = ""


@dataclass
class FrameworkSpec:
    slug: str
    name: str
    version: int
    line: int  # of the framework's version, where conflicts with loaded versions are reported
    requirements: list[RequirementSpec]
    origin: str
    summary: str = ""
    description: str = ""
    language: str = "en"
    publisher: str = ""
    source_title: str = ""
    source_url: str = ""
    urn: str = ""
    mappings: list[MappingSpec] = field(default_factory=list)
    sha256: str = ""


@dataclass
class FileSpec:
    """Everything one file holds: frameworks (usually one) and mappings that stand on their own
    (a CISO Assistant mapping library between frameworks already loaded)."""

    name: str
    frameworks: list[FrameworkSpec] = field(default_factory=list)
    mappings: list[MappingSpec] = field(default_factory=list)
