from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "healthbank.audit"
    label = "audit"
