from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "healthbank.insurance"
    label = "insurance"
