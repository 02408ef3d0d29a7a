"""The governed gateway as a Django app: its background jobs (folding usage into the portal's
tables). The gateway service itself (gateway.service) runs apart and never loads Django."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"
