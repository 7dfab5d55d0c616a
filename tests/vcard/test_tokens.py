"""The card QR's text as an attacker would try it: altered, cut, padded, from elsewhere, forged, late.

Pure: no database. Only the key ring reads settings (its folder), and each test gets a folder of its own.
"""

from __future__ import annotations

import base64
import io
import uuid
from unittest import mock

import pytest
import segno
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from healthbank.vcard import keys, qr, tokens
from healthbank.vcard.tokens import CardToken, TokenRefused

ENVIRONMENT = "test"
NOW = 1_795_000_000  # a fixed moment (Unix seconds); tokens are checked against the ``now`` passed in
KEY = tokens.new_private_key()
RING = {tokens.key_id(KEY.public_key()): KEY.public_key()}
HEADER, BODY = 9, 53  # bytes: version · environment tag · key id, then the body; the signature follows
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def card_token(**changes) -> CardToken:
    fields = {
        "token_id": uuid.uuid4().hex,
        "holder": uuid.uuid4(),
        "issuer_kind": "holder_app",
        "issuer": uuid.uuid4(),
        "expires": NOW + 300,
    }
    fields.update(changes)
    return CardToken(**fields)


TOKEN = card_token()
TEXT = tokens.sign(TOKEN, KEY, ENVIRONMENT)


def reason(text, ring=RING, environment: str = ENVIRONMENT, now: float = NOW) -> str:
    with pytest.raises(TokenRefused) as refused:
        tokens.read(text, ring, environment, now)
    return refused.value.reason


def raw(text: str) -> bytearray:
    encoded = text[len(tokens.PREFIX) :]
    return bytearray(base64.b32decode(encoded + "=" * (-len(encoded) % 8)))


def text_of(data: bytes) -> str:
    return tokens.PREFIX + base64.b32encode(bytes(data)).decode().rstrip("=")


def test_a_signed_token_reads_back_whole():
    assert len(TEXT) == tokens.TEXT_LENGTH == 208
    read = tokens.read(TEXT, RING, ENVIRONMENT, NOW)
    assert read == CardToken(TOKEN.token_id, TOKEN.holder, "holder_app", TOKEN.issuer, NOW + 300, read.key_id)
    assert read.key_id == tokens.key_id(KEY.public_key())


@pytest.mark.parametrize("kind", sorted(tokens.ISSUER_CODES))
def test_every_kind_of_issuer_reads_back(kind):
    token = card_token(issuer_kind=kind)
    assert tokens.read(tokens.sign(token, KEY, ENVIRONMENT), RING, ENVIRONMENT, NOW).issuer_kind == kind


def expected_for_position(position: int) -> str:
    if position == 0:
        return "malformed"  # the version byte
    if position < 5:
        return "wrong_environment"
    if position < HEADER:
        return "unknown_key"
    return "bad_signature"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(0, HEADER + BODY - 1), flip=st.integers(1, 255))
def test_any_change_to_one_signed_byte_is_refused_for_what_it_touched(position, flip):
    data = raw(TEXT)
    data[position] ^= flip
    assert reason(text_of(data)) == expected_for_position(position)


@pytest.mark.parametrize("position", range(HEADER + BODY))
def test_every_signed_byte_is_covered(position):
    """Not only the bytes hypothesis happened to pick: each of the 62, changed in its lowest bit."""
    data = raw(TEXT)
    data[position] ^= 1
    assert reason(text_of(data)) == expected_for_position(position)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(HEADER + BODY, tokens.RAW_LENGTH - 1), flip=st.integers(1, 255))
def test_a_changed_signature_byte_is_a_bad_signature(position, flip):
    data = raw(TEXT)
    data[position] ^= flip
    assert reason(text_of(data)) == "bad_signature"


def test_every_one_character_change_of_the_text_is_refused():
    """Each character changed to three others (one, two and all five bits apart), the last to every other.

    The last base32 character carries 2 padding bits a lenient decoder ignores: the reader re-encodes what it
    decoded and refuses any other spelling, so exactly one text reads as a given token.
    """
    same = []
    last = len(TEXT) - 1
    for position in range(len(tokens.PREFIX), len(TEXT)):
        index = ALPHABET.index(TEXT[position])
        others = ALPHABET if position == last else [ALPHABET[index ^ bits] for bits in (1, 3, 31)]
        for character in others:
            if character == TEXT[position]:
                continue
            changed = TEXT[:position] + character + TEXT[position + 1 :]
            try:
                read = tokens.read(changed, RING, ENVIRONMENT, NOW)
            except TokenRefused:
                continue
            assert read == tokens.read(TEXT, RING, ENVIRONMENT, NOW), (position, character)
            same.append(position)
    assert same == []


def test_a_text_cut_short_anywhere_is_malformed():
    for length in range(len(TEXT)):
        assert reason(TEXT[:length]) == "malformed", length


@pytest.mark.parametrize("extra", ["A", "AAAAAAAA", "=", "====", ".", "HBVC1."])
def test_anything_added_is_malformed(extra):
    assert reason(TEXT + extra) == "malformed"


def test_ten_kilobytes_are_refused_without_being_decoded():
    decoder = mock.Mock(side_effect=AssertionError("decoded"))
    with mock.patch.object(tokens.base64, "b32decode", decoder):
        for text in ("HBVC1." + "A" * 10_240, TEXT * 50, " " * 10_240 + TEXT):
            assert reason(text) == "malformed"
    decoder.assert_not_called()


@pytest.mark.parametrize("value", [None, 12, b"HBVC1.AAAA", ["HBVC1."], {"qr": "x"}, TEXT.encode()])
def test_what_is_not_text_is_malformed(value):
    assert reason(value) == "malformed"


def test_lower_case_and_spaces_inside_are_malformed():
    assert reason(TEXT.lower()) == "malformed"
    assert reason(tokens.PREFIX + TEXT[len(tokens.PREFIX) :].lower()) == "malformed"
    assert reason(TEXT[:100] + " " + TEXT[100:]) == "malformed"
    assert reason(TEXT[:100] + " " + TEXT[101:]) == "malformed"
    assert reason("HBVC1 " + TEXT[6:]) == "malformed"


def test_the_line_end_a_scanner_adds_is_ignored():
    assert tokens.read(f"{TEXT}\r\n", RING, ENVIRONMENT, NOW).token_id == TOKEN.token_id
    assert tokens.read(f"  {TEXT}\t", RING, ENVIRONMENT, NOW).token_id == TOKEN.token_id


def test_an_unknown_version_or_issuer_kind_is_malformed():
    data = raw(tokens.sign(TOKEN, KEY, ENVIRONMENT))
    data[0] = 2
    assert reason(text_of(data)) == "malformed"
    # An issuer kind we never make, properly signed (a key holder's mistake, not an attacker's): still refused.
    header = tokens._HEADER.pack(1, tokens.environment_tag(ENVIRONMENT), bytes.fromhex(tokens.key_id(KEY.public_key())))
    body = tokens._BODY.pack(bytes(16), uuid.uuid4().bytes, 9, uuid.uuid4().bytes, NOW + 300)
    assert reason(text_of(header + body + KEY.sign(header + body))) == "malformed"


def test_a_code_of_another_environment_is_refused_as_such():
    assert reason(tokens.sign(TOKEN, KEY, "production")) == "wrong_environment"
    assert reason(TEXT, environment="production") == "wrong_environment"


def test_a_key_not_in_the_ring_is_unknown():
    stranger = tokens.new_private_key()
    assert reason(tokens.sign(TOKEN, stranger, ENVIRONMENT)) == "unknown_key"
    assert reason(TEXT, ring={}) == "unknown_key"


def test_a_forged_signature_under_our_key_id_is_bad():
    """An attacker copies our key id into a header and signs with their own key."""
    stranger = tokens.new_private_key()
    data = raw(tokens.sign(TOKEN, stranger, ENVIRONMENT))
    data[5:HEADER] = bytes.fromhex(tokens.key_id(KEY.public_key()))
    signed = bytes(data[: HEADER + BODY])
    assert reason(text_of(signed + stranger.sign(signed))) == "bad_signature"


def test_the_code_lasts_until_its_expiry_second_and_not_a_second_more():
    assert tokens.read(TEXT, RING, ENVIRONMENT, NOW + 299.999).token_id == TOKEN.token_id
    assert reason(TEXT, now=NOW + 300) == "expired"
    assert reason(TEXT, now=NOW + 301) == "expired"


def test_the_text_is_a_regular_alphanumeric_qr_code_of_version_10_at_most():
    assert set(TEXT) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    code = qr.make(TEXT)
    assert isinstance(code, segno.QRCode)
    assert not code.is_micro
    assert code.mode == "alphanumeric"
    assert code.version <= 10
    assert code.error == "M"


def test_a_phone_reads_the_png_back_to_exactly_the_text():
    picture = Image.open(io.BytesIO(qr.png(TEXT)))
    [found] = zxingcpp.read_barcodes(picture)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == TEXT


def test_the_svg_is_inline_markup_without_a_declaration():
    markup = qr.svg(TEXT, title="card")
    assert markup.startswith("<svg") and "<?xml" not in markup and 'class="qr"' in markup


# ---------------------------------------------------------------- the published keys


@pytest.fixture
def key_folder(settings, tmp_path):
    settings.VCARD_KEY_DIR = tmp_path / "keys"
    settings.VCARD_ENVIRONMENT = ENVIRONMENT
    keys._cache.clear()
    yield settings.VCARD_KEY_DIR
    keys._cache.clear()


def offline_ring(jwks: dict) -> dict:
    """What an institution's own software does with the published JSON Web Key Set."""
    return {key["kid"]: tokens.public_key_from_jwk(key) for key in jwks["keys"]}


def test_the_key_set_is_ed25519_json_web_keys(key_folder):
    published = keys.jwks()
    assert published["environment"] == ENVIRONMENT
    [key] = published["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert key["kid"] == keys.ring().signing_id and len(key["kid"]) == 8
    assert "d" not in key  # never the private part
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32


def test_an_institution_checks_a_code_offline_with_the_published_key(key_folder):
    text = tokens.sign(TOKEN, keys.ring().signing, ENVIRONMENT)
    assert tokens.read(text, offline_ring(keys.jwks()), ENVIRONMENT, NOW).token_id == TOKEN.token_id


def test_after_a_new_key_the_new_one_signs_and_the_old_one_is_still_published(key_folder):
    old = keys.ring()
    old_text = tokens.sign(TOKEN, old.signing, ENVIRONMENT)
    new_id = keys.add_key()
    ring = keys.ring()
    assert ring.signing_id == new_id != old.signing_id
    assert set(ring.published) == {old.signing_id, new_id}
    assert [k["kid"] for k in keys.jwks()["keys"]] == [new_id, old.signing_id]  # newest first
    assert tokens.read(old_text, offline_ring(keys.jwks()), ENVIRONMENT, NOW).token_id == TOKEN.token_id
    assert tokens.read(old_text, ring.published, ENVIRONMENT, NOW).key_id == old.signing_id
    new_text = tokens.sign(TOKEN, ring.signing, ENVIRONMENT)
    assert tokens.read(new_text, ring.published, ENVIRONMENT, NOW).key_id == new_id


def test_key_files_are_private(key_folder):
    keys.ring()
    [pem] = list(key_folder.glob("*.pem"))
    assert pem.stat().st_mode & 0o077 == 0
