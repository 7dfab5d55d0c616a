from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "healthbank.identity"
    label = "identity"
