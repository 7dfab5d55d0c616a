from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "healthbank.devices"
    label = "devices"
