"""The simulated citizen digital certificate (自然人憑證): signing with the PIN, counting wrong PINs, locking."""

from __future__ import annotations

import base64
import json
import threading

import pytest

from cardagent.certificate import (
    MAX_PIN_TRIES,
    BadPin,
    CertificateFileError,
    NoCertificateError,
    PinLocked,
    SimulatedCertificate,
    WrongPin,
)
from cardagent.proof import certificate_proof_message
from healthbank.external import certificates

from .conftest import CERTIFICATE_HOLDER, CERTIFICATE_KEY, CERTIFICATE_PIN, CERTIFICATE_SERIAL

CHALLENGE = "q3Vx_Zt-8sLkP0aW"
WRONG_PIN = "11111111"


def b64(signature: bytes) -> str:
    return base64.b64encode(signature).decode("ascii")


def test_right_pin_signs_a_proof_the_ca_accepts(certificate, ca):
    assert certificate.present()
    serial, signature = certificate.sign(CHALLENGE, CERTIFICATE_PIN)
    assert serial == CERTIFICATE_SERIAL
    assert len(signature) == 64
    assert ca.verify(CHALLENGE, serial, b64(signature)) == CERTIFICATE_HOLDER
    assert ca.verify(CHALLENGE + "x", serial, b64(signature)) is None  # one challenge, one proof


def test_the_signature_covers_serial_and_holder(certificate):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    serial, signature = certificate.sign(CHALLENGE, CERTIFICATE_PIN)
    public = Ed25519PrivateKey.from_private_bytes(CERTIFICATE_KEY).public_key()
    public.verify(signature, certificate_proof_message(CHALLENGE, serial, CERTIFICATE_HOLDER))  # raises if not


def test_wrong_pins_count_down_and_lock_after_three(certificate):
    assert MAX_PIN_TRIES == 3
    with pytest.raises(WrongPin) as first:
        certificate.sign(CHALLENGE, WRONG_PIN)
    with pytest.raises(WrongPin) as second:
        certificate.sign(CHALLENGE, "999999")
    assert (first.value.tries_left, second.value.tries_left) == (2, 1)
    with pytest.raises(PinLocked, match="PIN locked: too many wrong PINs"):
        certificate.sign(CHALLENGE, WRONG_PIN)


def test_locked_certificate_refuses_even_the_right_pin(certificate):
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            certificate.sign(CHALLENGE, WRONG_PIN)
    with pytest.raises(PinLocked):
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)
    with pytest.raises(PinLocked):  # still locked: no amount of right PINs unlocks it
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)


def test_right_pin_resets_the_count(certificate):
    for _ in range(MAX_PIN_TRIES - 1):
        with pytest.raises(WrongPin):
            certificate.sign(CHALLENGE, WRONG_PIN)
    assert certificate.sign(CHALLENGE, CERTIFICATE_PIN)[0] == CERTIFICATE_SERIAL
    with pytest.raises(WrongPin) as caught:
        certificate.sign(CHALLENGE, WRONG_PIN)
    assert caught.value.tries_left == 2


@pytest.mark.parametrize("pin", ["12345", "123456789", "1234a678", "", " 12345678", "１２３４５６", 12345678, None])
def test_a_pin_that_is_not_6_to_8_digits_is_refused_without_counting(certificate, pin):
    for _ in range(MAX_PIN_TRIES + 1):
        with pytest.raises(BadPin, match="PIN must be 6-8 digits"):
            certificate.sign(CHALLENGE, pin)
    assert certificate.sign(CHALLENGE, CERTIFICATE_PIN)[0] == CERTIFICATE_SERIAL


def test_parallel_wrong_pins_cannot_try_more_than_three(certificate):
    outcomes = []

    def attempt():
        try:
            certificate.sign(CHALLENGE, WRONG_PIN)
        except (WrongPin, PinLocked) as exc:
            outcomes.append(type(exc))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcome.__name__ for outcome in outcomes) == ["PinLocked"] * 6 + ["WrongPin"] * 2
    with pytest.raises(PinLocked):
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)


def test_lock_stays_when_the_certificate_is_taken_out_and_put_back(certificate, certificate_path):
    data = certificate_path.read_bytes()
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            certificate.sign(CHALLENGE, WRONG_PIN)
    certificate_path.unlink()
    assert not certificate.present()
    certificate_path.write_bytes(data)
    with pytest.raises(PinLocked):
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)


def test_another_certificate_in_the_reader_has_its_own_count(certificate, certificate_path, tmp_path):
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            certificate.sign(CHALLENGE, WRONG_PIN)
    certificates.issue(tmp_path / "other", "00FFEEDDCCBBAA99", "B223456789", "654321", bytes(32))
    certificate_path.write_bytes((tmp_path / "other" / "certificates" / "00FFEEDDCCBBAA99.json").read_bytes())
    assert certificate.sign(CHALLENGE, "654321")[0] == "00FFEEDDCCBBAA99"


def test_restarting_the_agent_unlocks_the_simulated_certificate(certificate, certificate_path):
    """The count lives in the agent's memory (a real card would stay locked until reset at the registry office)."""
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            certificate.sign(CHALLENGE, WRONG_PIN)
    restarted = SimulatedCertificate(certificate_path)
    assert restarted.sign(CHALLENGE, CERTIFICATE_PIN)[0] == CERTIFICATE_SERIAL


def test_missing_certificate_file_means_no_certificate_in_the_reader(tmp_path):
    certificate = SimulatedCertificate(tmp_path / "nope.json")
    assert not certificate.present()
    present, detail = certificate.presence()
    assert not present
    assert "nope.json does not exist" in detail
    with pytest.raises(NoCertificateError):
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.pop("pin_hash"), "field 'pin_hash' is missing"),
        (lambda raw: raw.update(serial=1234), "field 'serial' must be a string"),
        (lambda raw: raw.update(serial="00A1|B2"), "field 'serial' must be 1-64 ASCII letters or digits"),
        (lambda raw: raw.update(national_id="a12345678"), "field 'national_id': national ID must be 10 ASCII"),
        (lambda raw: raw.update(private_key="zz" * 32), "field 'private_key' must be 64 hex characters"),
        (lambda raw: raw.update(pin_salt="abc"), "field 'pin_salt' must be 2-128 hex characters"),
        (lambda raw: raw.update(pin_hash="00"), "field 'pin_hash' must be 64 hex characters"),
    ],
)
def test_malformed_certificate_file_names_the_file_and_the_field(certificate, certificate_path, change, message):
    raw = json.loads(certificate_path.read_text(encoding="utf-8"))
    change(raw)
    certificate_path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(CertificateFileError) as caught:
        certificate.sign(CHALLENGE, CERTIFICATE_PIN)
    assert str(caught.value).startswith(f"certificate file {certificate_path}: ")
    assert message in str(caught.value)
    assert CERTIFICATE_KEY.hex() not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "not valid JSON (line 1, column 2)"), (b"[]", "must be a JSON object"), (b"\xff", "UTF-8")],
)
def test_unreadable_certificate_file(certificate_path, content, message):
    certificate_path.write_bytes(content)
    with pytest.raises(CertificateFileError) as caught:
        SimulatedCertificate(certificate_path).sign(CHALLENGE, CERTIFICATE_PIN)
    assert str(caught.value).startswith(f"certificate file {certificate_path}: ")
    assert message in str(caught.value)


def test_a_bad_challenge_costs_no_pin_try(certificate):
    for _ in range(MAX_PIN_TRIES + 1):
        with pytest.raises(ValueError, match="challenge must not contain"):
            certificate.sign("a|b", WRONG_PIN)
    assert certificate.sign(CHALLENGE, CERTIFICATE_PIN)[0] == CERTIFICATE_SERIAL
