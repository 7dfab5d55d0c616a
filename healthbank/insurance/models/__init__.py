"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .premiums import PremiumCalculation, PremiumPayment

__all__ = ["PremiumCalculation", "PremiumPayment"]
