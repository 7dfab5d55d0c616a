"""Every catalogue entry the passbook names has an English name, and ``name_in`` picks the one the page is in."""

from __future__ import annotations

import re

from healthbank.core import codes

CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def test_every_payment_code_has_an_english_name_without_chinese_characters():
    payments = codes.payment_codes()
    assert len(payments) > 300
    for code, payment in payments.items():
        assert payment.name_en.strip(), code
        assert payment.name_en == payment.name_en.strip(), code
        assert not CJK.search(payment.name_en), (code, payment.name_en)
        assert payment.name_zh and CJK.search(payment.name_zh), code


def test_payment_code_fields_keep_their_meaning_after_name_en():
    scaling = codes.payment_codes()["91004C"]
    assert scaling.name_zh == "牙結石清除－全口"
    assert scaling.name_en == "Full-mouth scaling"
    assert (scaling.kind, scaling.dental) == ("dental", False)
    filling = codes.payment_codes()["89001C"]
    assert (filling.name_en, filling.kind, filling.dental) == ("Amalgam filling – one surface", "dental", True)
    appendectomy = codes.payment_codes()["74002B"]
    assert (appendectomy.kind, appendectomy.body_site, appendectomy.dental) == ("surgery", "abdomen", False)


def test_name_in_picks_chinese_for_zh_and_english_otherwise():
    payment = codes.payment_codes()["01015C"]
    assert payment.name_in("zh-hant") == payment.name_zh == "急診診察費"
    assert payment.name_in("zh-Hant") == payment.name_zh
    assert payment.name_in("zh") == payment.name_zh
    assert payment.name_in("en") == payment.name_en == "Emergency consultation fee"
    assert payment.name_in("en-gb") == payment.name_en
    assert payment.name_in("") == payment.name_en

    diagnosis = next(iter(codes.diagnoses().values()))
    assert diagnosis.name_in("zh-hant") == diagnosis.name_zh
    assert diagnosis.name_in("en") == diagnosis.name_en

    lab = codes.lab_test("hba1c")
    assert lab.name_in("zh-hant") == lab.name_zh
    assert lab.name_in("en") == lab.name_en

    vaccine = codes.vaccines()["BCG"]
    assert vaccine.name_in("zh-hant") == vaccine.name_zh == "卡介苗"
    assert vaccine.name_in("en") == vaccine.name_en == "BCG vaccine"


def test_a_drug_keeps_its_name_in_both_languages():
    drug = next(iter(codes.drugs().values()))
    assert drug.name_in("zh-hant") == drug.name_in("en") == drug.name


def test_name_in_falls_back_to_the_other_language_when_one_is_empty():
    only_chinese = codes.PaymentCode("X1", "只有中文", "", "other", "", False)
    only_english = codes.PaymentCode("X2", "", "English only", "other", "", False)
    assert only_chinese.name_in("en") == "只有中文"
    assert only_english.name_in("zh-hant") == "English only"
    assert codes.Vaccine("V", "", "Some vaccine", None).name_in("zh-hant") == "Some vaccine"
