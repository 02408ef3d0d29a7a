"""Models of training: the platform catalogue (programmes and their immutable versions, platform
requirements) and each country's enrolments, progress, quiz attempts, certificates and requirements."""

from .catalogue import PlatformRequirement, Programme, ProgrammeVersion
from .local import CountryProgramme, CountryProgrammeVersion, SharedProgramme
from .records import (
    Certificate,
    CountryRequirement,
    Enrolment,
    ModuleProgress,
    QuizAttempt,
    certificate_signature,
    certificate_signature_matches,
)

__all__ = [
    "Certificate",
    "CountryProgramme",
    "CountryProgrammeVersion",
    "CountryRequirement",
    "Enrolment",
    "ModuleProgress",
    "PlatformRequirement",
    "Programme",
    "ProgrammeVersion",
    "QuizAttempt",
    "SharedProgramme",
    "certificate_signature",
    "certificate_signature_matches",
]
