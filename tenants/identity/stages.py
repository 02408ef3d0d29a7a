"""allauth's second-factor step at sign-in, skipped only where the country trusts its provider's
own multi-factor sign-in, the provider said, for this very sign-in, that it used one, and nothing
else the person holds needs the portal's own step (a provider speaks for its country only)."""

from __future__ import annotations

from allauth.mfa.stages import AuthenticateStage

from tenants.access import access_for
from tenants.identity.policy import provider_mfa_fresh, second_factor_required


class SecondFactorStage(AuthenticateStage):
    def _should_handle(self, request) -> bool:
        user = self.login.user
        access = access_for(user) if user is not None else None
        vouched = provider_mfa_fresh(request, access) if access is not None else None
        if vouched is not None and not second_factor_required(access=access, vouched_country_id=vouched):
            return False
        return super()._should_handle(request)
