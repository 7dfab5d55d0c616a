from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "healthbank.records"
    label = "records"
