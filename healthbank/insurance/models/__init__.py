"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .premiums import PremiumCalculation, PremiumPayment
from .township import TownshipRequest

__all__ = ["PremiumCalculation", "PremiumPayment", "TownshipRequest"]
