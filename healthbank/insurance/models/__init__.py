"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .premiums import PremiumCalculation, PremiumPayment
from .township import TownshipRequest
from .unpaid import Instalment, InstalmentPlan

__all__ = ["Instalment", "InstalmentPlan", "PremiumCalculation", "PremiumPayment", "TownshipRequest"]
