"""How a month's premium follows from the insured salary, and what the stored rate means (issue 7)."""

from __future__ import annotations

from django.utils import translation

from healthbank import policy
from healthbank.insurance.models import PremiumCalculation
from healthbank.insurance.rules import monthly_premium


def test_the_premium_rate_is_named_per_ten_thousand():
    # 517 is 5.17 %: per ten thousand (‱). Read per mille it would be 51.7 %.
    assert policy.PREMIUM_RATE_PER_TEN_THOUSAND == 517
    assert not hasattr(policy, "PREMIUM_RATE_PER_MILLE")
    field = PremiumCalculation._meta.get_field("rate_per_ten_thousand")
    with translation.override("en"):
        assert "ten thousand" in str(field.help_text)
    with translation.override("zh-hant"):
        assert "萬分比" in str(field.help_text)
    assert not any(f.name == "rate_per_mille" for f in PremiumCalculation._meta.get_fields())


def test_an_employee_pays_30_percent_of_5_17_percent_of_the_insured_salary_per_person():
    # 30,300 × 5.17 % × 30 % = 469.9 → NT$470 a person (NHI Act art. 27; share by category)
    assert monthly_premium(category=1, insured_salary=30300, dependents=0) == (470, 1)
    assert monthly_premium(category=1, insured_salary=30300, dependents=2) == (1410, 3)
    # dependents beyond three are not billed
    assert monthly_premium(category=1, insured_salary=30300, dependents=5) == (1880, 4)


def test_category_6_pays_the_flat_average_premium():
    amount, billed = monthly_premium(category=6, insured_salary=0, dependents=1)
    assert (amount, billed) == (policy.PREMIUM_CATEGORY6_FLAT * 2, 2)


def test_a_months_premium_is_due_at_the_end_of_the_next_month():
    import datetime as dt

    from healthbank.insurance.rules import premium_due_on

    assert premium_due_on(dt.date(2026, 1, 1)) == dt.date(2026, 2, 28)
    assert premium_due_on(dt.date(2027, 12, 1)) == dt.date(2028, 1, 31)
    assert premium_due_on(dt.date(2028, 1, 1)) == dt.date(2028, 2, 29)
