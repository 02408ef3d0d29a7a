"""Models of tenants, by concept: core (countries, organisations, people, tokens), ledger, keys."""
from .core import (
    ApiToken,
    Country,
    Invitation,
    Membership,
    Organisation,
    PlatformSettings,
    SealedTenantModel,
    TenantModel,
)
from .engagements import (
    Capability, EconomicModel, Engagement, EngagementTerms, EngagementTransition, Notification, Sector,
)
from .keys import CountryExport, CountryKey, KeyRotation
from .ledger import PLATFORM_CHAIN, CountryCheckpoint, CountryEvent, LedgerAlert, PlatformCheckpoint, PlatformEvent

__all__ = [
    "ApiToken", "Country", "CountryExport", "CountryEvent", "CountryKey", "Invitation", "KeyRotation", "Membership",
    "Organisation", "PlatformSettings", "SealedTenantModel", "TenantModel", "PLATFORM_CHAIN", "CountryCheckpoint",
    "LedgerAlert", "PlatformCheckpoint", "PlatformEvent",
    "Capability", "EconomicModel", "Engagement", "EngagementTerms", "EngagementTransition", "Notification", "Sector",
]
