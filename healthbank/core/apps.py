from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed only for its template tags (ROC dates, Chinese glosses); the kernel has no models."""

    name = "healthbank.core"
    label = "core"
