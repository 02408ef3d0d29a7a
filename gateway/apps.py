"""The governed gateway as a Django app: its background jobs (folding usage into the portal's
tables). The gateway service itself (gateway.service) runs apart and never loads Django."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class GatewayConfig(AppConfig):
    name = "gateway"
    verbose_name = gettext_lazy("Gateway")
