from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "healthbank.demo"
    label = "demo"
