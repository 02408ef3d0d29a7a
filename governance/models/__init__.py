"""Models of governance, by concept: policies, impact assessments, frameworks and controls, incidents."""

from .assessments import ImpactAssessment
from .frameworks import EvidenceFile, Framework, Requirement, RequirementMapping, RequirementStatus
from .incidents import Incident
from .policies import Acknowledgement, CountryPolicy, PolicyTemplate, PolicyVersion, SharedPolicy

__all__ = [
    "Acknowledgement",
    "CountryPolicy",
    "EvidenceFile",
    "Framework",
    "ImpactAssessment",
    "Incident",
    "PolicyTemplate",
    "PolicyVersion",
    "Requirement",
    "RequirementMapping",
    "RequirementStatus",
    "SharedPolicy",
]
