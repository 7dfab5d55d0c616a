from django.apps import AppConfig


class PassbookConfig(AppConfig):
    name = "healthbank.passbook"
    label = "passbook"
