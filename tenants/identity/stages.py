"""allauth's second-factor step at sign-in, skipped only where the country trusts its provider's
own multi-factor sign-in and the provider said, for this very sign-in, that it used one."""

from __future__ import annotations

from allauth.mfa.stages import AuthenticateStage

from tenants.identity.policy import provider_mfa_fresh


class SecondFactorStage(AuthenticateStage):
    def _should_handle(self, request) -> bool:
        if self.login.user is not None and provider_mfa_fresh(request, self.login.user.pk):
            return False
        return super()._should_handle(request)
