from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "healthbank.accounts"
    label = "accounts"
