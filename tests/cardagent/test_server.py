"""The agent's HTTP endpoint on an ephemeral 127.0.0.1 port: endpoints, CORS, Host check, logs, CLI.

The ``agent`` fixture serves both a simulated NHI card and a simulated citizen certificate, as a person with
both cards in their readers would run it.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cardagent.certificate import SimulatedCertificate
from cardagent.nhicard import CardDataError, build_basic_data
from cardagent.proof import verify_proof
from cardagent.server import AGENT_NAME, make_server, normalize_origin
from cardagent.sources import SIGNING_NOT_AVAILABLE, CardSource, NoCardError, SigningNotAvailable, SimulatedCard

from .conftest import CARD, CERTIFICATE_HOLDER, CERTIFICATE_PIN, CERTIFICATE_SERIAL

ALLOWED = "http://127.0.0.1:8000"
FOREIGN = "https://evil.example"
CHALLENGE = "Zm9vYmFyYmF6cXV4MTIz"
REPO = Path(__file__).resolve().parents[2]


class Agent:
    """A running agent and a tiny client for it."""

    def __init__(
        self,
        source: CardSource | None,
        origins=(ALLOWED, "http://localhost:8000/"),
        certificate: SimulatedCertificate | None = None,
    ):
        self.server = make_server(source, origins, port=0, certificate=certificate)
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def request(self, method, path, *, origin=None, body=None, headers=None, host=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        sent = {} if headers is None else dict(headers)
        if origin is not None:
            sent["Origin"] = origin
        if host is not None:
            sent["Host"] = host
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else None
        finally:
            connection.close()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def agent_for():
    agents = []

    def start(source, **kwargs):
        agent = Agent(source, **kwargs)
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        agent.close()


@pytest.fixture
def agent(agent_for, card, certificate):
    return agent_for(card, certificate=certificate)


class StubSource(CardSource):
    """A card source answering whatever the test says."""

    kind = "pcsc"

    def __init__(self, answer: bytes | Exception, sign: bytes | Exception | None = None):
        self.answer = answer
        self.signature = SigningNotAvailable(SIGNING_NOT_AVAILABLE) if sign is None else sign

    def present(self):
        return True

    def read_basic_data(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def sign(self, message):
        if isinstance(self.signature, Exception):
            raise self.signature
        return self.signature


# ---------------------------------------------------------------------------------------------------- endpoints


def test_binds_to_loopback_only(agent):
    assert agent.server.server_address[0] == "127.0.0.1"
    assert agent.port > 0


def test_status(agent):
    status, headers, body = agent.request("GET", "/status", origin=ALLOWED)
    assert status == 200
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body == {
        "agent": AGENT_NAME,
        "version": "1",
        "card_present": True,
        "source": "simulated",
        "detail": f"simulated card file {agent.server.source.path}",
        "certificate_present": True,
    }


def test_card(agent):
    status, headers, body = agent.request("GET", "/card", origin=ALLOWED)
    assert status == 200
    assert headers["cache-control"] == "no-store"
    assert body == {
        "card_number": "000012345678",
        "name": "王小明",
        "national_id": "A123456789",
        "birth_date": "1970-05-04",
        "sex": "M",
        "issue_date": "2025-03-01",
    }


def test_proof(agent, card):
    status, _, body = agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
    assert status == 200
    assert set(body) == {"card_number", "national_id", "signature"}
    assert body["card_number"] == "000012345678"
    assert body["national_id"] == "A123456789"
    signature = base64.b64decode(body["signature"], validate=True)
    assert verify_proof(card.public_key_raw(), CHALLENGE, "000012345678", "A123456789", signature)
    assert not verify_proof(card.public_key_raw(), CHALLENGE + "x", "000012345678", "A123456789", signature)


def test_requests_without_origin_are_served(agent):
    """A local program (curl, the CLI) sends no Origin; a web page always does for these requests."""
    status, headers, body = agent.request("GET", "/card")
    assert status == 200
    assert body["card_number"] == "000012345678"
    assert "access-control-allow-origin" not in headers


def test_missing_card_file(agent_for, tmp_path):
    agent = agent_for(SimulatedCard(tmp_path / "gone.json"))
    status, _, body = agent.request("GET", "/status", origin=ALLOWED)
    assert status == 200
    assert body["card_present"] is False
    assert "gone.json does not exist" in body["detail"]
    assert agent.request("GET", "/card", origin=ALLOWED)[::2] == (404, {"error": "no card in the reader"})
    status, _, body = agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
    assert (status, body) == (404, {"error": "no card in the reader"})


def test_card_removed_and_inserted_while_running(agent, card_path):
    data = card_path.read_bytes()
    card_path.unlink()
    assert agent.request("GET", "/card")[0] == 404
    card_path.write_bytes(data)
    assert agent.request("GET", "/card")[0] == 200


def test_malformed_card_answer_is_422(agent_for):
    data = build_basic_data(**CARD)
    agent = agent_for(StubSource(data[:49] + b"X" + data[50:] + b"\x90\x00"))
    status, _, body = agent.request("GET", "/card", origin=ALLOWED)
    assert (status, body) == (422, {"error": "sex (byte 49) must be M or F"})
    agent = agent_for(StubSource(data + b"\x6a\x82"))
    status, _, body = agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
    assert (status, body) == (422, {"error": "status word is 6A82, not 9000"})
    agent = agent_for(StubSource(CardDataError("not an NHI card: SELECT of the NHI application answered 6A82")))
    assert agent.request("GET", "/card")[0] == 422


def test_malformed_card_file_is_500_naming_the_field(agent_for, tmp_path):
    path = tmp_path / "card.json"
    path.write_text('{"card_number": "000012345678"}', encoding="utf-8")
    status, _, body = agent_for(SimulatedCard(path)).request("GET", "/card")
    assert status == 500
    assert "field 'name' is missing" in body["error"]


def test_real_card_cannot_sign(agent_for):
    agent = agent_for(StubSource(build_basic_data(**CARD) + b"\x90\x00"))
    assert agent.request("GET", "/status")[2]["source"] == "pcsc"
    assert agent.request("GET", "/card")[0] == 200
    status, _, body = agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
    assert (status, body) == (501, {"error": SIGNING_NOT_AVAILABLE})


def test_no_card_while_signing(agent_for):
    agent = agent_for(StubSource(build_basic_data(**CARD) + b"\x90\x00", sign=NoCardError("pulled out")))
    assert agent.request("POST", "/proof", body={"challenge": CHALLENGE})[0] == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"challenge": "short"}, "challenge must be 16-128 URL-safe characters"),
        ({"challenge": "a" * 129}, "challenge must be 16-128 URL-safe characters"),
        ({"challenge": "a" * 16 + "|x"}, "challenge must be 16-128 URL-safe characters"),
        ({"challenge": "a" * 15 + " "}, "challenge must be 16-128 URL-safe characters"),
        ({"challenge": 1234567890123456789}, "challenge must be 16-128 URL-safe characters"),
        ({}, "challenge must be 16-128 URL-safe characters"),
        (["challenge"], "body must be a JSON object"),
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe", "body is not valid JSON"),
    ],
)
def test_bad_proof_request_is_400(agent, body, message):
    status, _, answer = agent.request("POST", "/proof", origin=ALLOWED, body=body)
    assert status == 400
    assert message in answer["error"]
    assert "national_id" not in answer


def test_proof_without_body_or_with_huge_body(agent):
    assert agent.request("POST", "/proof", origin=ALLOWED)[0] == 400
    assert agent.request("POST", "/proof", origin=ALLOWED, body=b"x" * 5000)[0] == 413


def test_unknown_path_and_wrong_method(agent):
    assert agent.request("GET", "/nope")[::2] == (404, {"error": "not found"})
    assert agent.request("POST", "/card", body={})[0] == 405
    assert agent.request("GET", "/proof")[0] == 405
    assert agent.request("DELETE", "/card")[0] == 405
    assert agent.request("GET", "/card?x=1")[0] == 200
    assert agent.request("GET", "/certificate/proof")[::2] == (405, {"error": "method not allowed"})
    assert agent.request("GET", "/certificate")[0] == 404


# ---------------------------------------------------------------------------------------------------- certificate


def certificate_proof(agent, pin, *, challenge=CHALLENGE, origin=ALLOWED):
    status, _, body = agent.request(
        "POST", "/certificate/proof", origin=origin, body={"challenge": challenge, "pin": pin}
    )
    return status, body


def test_certificate_proof_with_the_right_pin(agent, ca):
    status, body = certificate_proof(agent, CERTIFICATE_PIN)
    assert status == 200
    assert set(body) == {"serial", "signature"}
    assert body["serial"] == CERTIFICATE_SERIAL
    assert ca.verify(CHALLENGE, body["serial"], body["signature"]) == CERTIFICATE_HOLDER
    assert ca.verify(CHALLENGE[::-1], body["serial"], body["signature"]) is None


def test_certificate_wrong_pins_count_down_then_lock(agent):
    assert certificate_proof(agent, "11111111") == (401, {"error": "wrong PIN", "tries_left": 2})
    assert certificate_proof(agent, "222222") == (401, {"error": "wrong PIN", "tries_left": 1})
    locked = (423, {"error": "PIN locked: too many wrong PINs"})
    assert certificate_proof(agent, "3333333") == locked
    assert certificate_proof(agent, CERTIFICATE_PIN) == locked  # the right PIN no longer helps
    assert agent.request("GET", "/status")[2]["certificate_present"] is True  # still in the reader, just locked


def test_certificate_right_pin_resets_the_count(agent):
    assert certificate_proof(agent, "11111111")[0] == 401
    assert certificate_proof(agent, CERTIFICATE_PIN)[0] == 200
    assert certificate_proof(agent, "11111111") == (401, {"error": "wrong PIN", "tries_left": 2})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"challenge": "short", "pin": CERTIFICATE_PIN}, "challenge must be 16-128 URL-safe characters"),
        ({"pin": CERTIFICATE_PIN}, "challenge must be 16-128 URL-safe characters"),
        ({"challenge": CHALLENGE}, "PIN must be 6-8 digits"),
        ({"challenge": CHALLENGE, "pin": "1234"}, "PIN must be 6-8 digits"),
        ({"challenge": CHALLENGE, "pin": 80417263}, "PIN must be 6-8 digits"),
        ([CHALLENGE, CERTIFICATE_PIN], "body must be a JSON object"),
        (b"{not json", "body is not valid JSON"),
    ],
)
def test_bad_certificate_proof_request_is_400_and_costs_no_try(agent, body, message):
    for _ in range(4):
        status, _, answer = agent.request("POST", "/certificate/proof", origin=ALLOWED, body=body)
        assert (status, set(answer)) == (400, {"error"})
        assert message in answer["error"]
    assert certificate_proof(agent, CERTIFICATE_PIN)[0] == 200


def test_certificate_proof_without_body_or_with_huge_body(agent):
    assert agent.request("POST", "/certificate/proof", origin=ALLOWED)[0] == 400
    assert agent.request("POST", "/certificate/proof", origin=ALLOWED, body=b"x" * 5000)[0] == 413


def test_agent_without_certificate(agent_for, card):
    agent = agent_for(card)
    assert agent.request("GET", "/status")[2]["certificate_present"] is False
    assert certificate_proof(agent, CERTIFICATE_PIN) == (404, {"error": "no certificate in the reader"})
    assert agent.request("GET", "/card")[0] == 200


def test_certificate_taken_out_and_put_back(agent, certificate_path):
    data = certificate_path.read_bytes()
    certificate_path.unlink()
    assert agent.request("GET", "/status")[2]["certificate_present"] is False
    assert certificate_proof(agent, CERTIFICATE_PIN) == (404, {"error": "no certificate in the reader"})
    certificate_path.write_bytes(data)
    assert agent.request("GET", "/status")[2]["certificate_present"] is True
    assert certificate_proof(agent, CERTIFICATE_PIN)[0] == 200


def test_malformed_certificate_file_is_500_naming_the_field(agent, certificate_path):
    raw = json.loads(certificate_path.read_text(encoding="utf-8"))
    del raw["pin_salt"]
    certificate_path.write_text(json.dumps(raw), encoding="utf-8")
    status, body = certificate_proof(agent, CERTIFICATE_PIN)
    assert status == 500
    assert body["error"] == f"certificate file {certificate_path}: field 'pin_salt' is missing"


def test_agent_with_only_a_certificate(agent_for, certificate, ca):
    agent = agent_for(None, certificate=certificate)
    status, _, body = agent.request("GET", "/status", origin=ALLOWED)
    assert status == 200
    assert body["card_present"] is False
    assert body["certificate_present"] is True
    assert body["source"] is None
    assert "--card" in body["detail"]
    assert agent.request("GET", "/card", origin=ALLOWED)[::2] == (404, {"error": "no card in the reader"})
    status, _, body = agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
    assert (status, body) == (404, {"error": "no card in the reader"})
    status, body = certificate_proof(agent, CERTIFICATE_PIN)
    assert status == 200
    assert ca.verify(CHALLENGE, body["serial"], body["signature"]) == CERTIFICATE_HOLDER


# ---------------------------------------------------------------------------------------------------- CORS


@pytest.mark.parametrize("origin", [ALLOWED, "http://localhost:8000", "HTTP://127.0.0.1:8000"])
def test_allowed_origin_gets_the_header(agent, origin):
    status, headers, _ = agent.request("GET", "/card", origin=origin)
    assert status == 200
    assert headers["access-control-allow-origin"] == origin
    assert headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin",
    [FOREIGN, "http://127.0.0.1:8001", "https://127.0.0.1:8000", "null", "http://127.0.0.1:8000.evil.example", ""],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/card", None),
        ("GET", "/status", None),
        ("POST", "/proof", {"challenge": CHALLENGE}),
        ("POST", "/certificate/proof", {"challenge": CHALLENGE, "pin": CERTIFICATE_PIN}),
    ],
)
def test_foreign_origin_is_refused(agent, origin, method, path, body):
    status, headers, answer = agent.request(method, path, origin=origin, body=body)
    assert status == 403
    assert answer == {"error": "origin not allowed"}
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize("path", ["/proof", "/certificate/proof"])
def test_preflight(agent, path):
    status, headers, body = agent.request(
        "OPTIONS",
        path,
        origin=ALLOWED,
        headers={
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert status == 204
    assert body is None
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["access-control-allow-private-network"] == "true"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"].lower() == "content-type"


@pytest.mark.parametrize("path", ["/card", "/certificate/proof"])
@pytest.mark.parametrize("origin", [FOREIGN, None])
def test_preflight_from_a_foreign_origin(agent, origin, path):
    status, headers, _ = agent.request(
        "OPTIONS", path, origin=origin, headers={"Access-Control-Request-Method": "POST"}
    )
    assert status == 403
    assert "access-control-allow-origin" not in headers
    assert "access-control-allow-private-network" not in headers


def test_foreign_page_cannot_guess_pins_nor_lock_the_certificate(agent):
    """A page from another site may post PINs (no preflight is needed to send them), but it gets 403 and no try
    is counted: it can neither brute-force the PIN nor lock the person out."""
    for pin in ("11111111", "22222222", "33333333", "44444444", CERTIFICATE_PIN):
        status, body = certificate_proof(agent, pin, origin=FOREIGN)
        assert (status, body) == (403, {"error": "origin not allowed"})
    status, body = certificate_proof(agent, CERTIFICATE_PIN)
    assert (status, body["serial"]) == (200, CERTIFICATE_SERIAL)


def test_dns_rebinding_host_is_refused_for_the_certificate(agent):
    status, body = 0, None
    for _ in range(4):
        status, _, body = agent.request(
            "POST",
            "/certificate/proof",
            host="evil.example",
            body={"challenge": CHALLENGE, "pin": "11111111"},
        )
        assert status == 403
    assert "serial" not in body
    assert certificate_proof(agent, CERTIFICATE_PIN)[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7777", "127.0.0.2", "localhost.evil.example"])
def test_dns_rebinding_host_is_refused(agent, host):
    status, _, body = agent.request("GET", "/card", host=host)
    assert status == 403
    assert "national_id" not in body


def test_localhost_host_is_fine(agent):
    assert agent.request("GET", "/card", host=f"localhost:{agent.port}")[0] == 200
    assert agent.request("GET", "/card", host="127.0.0.1")[0] == 200
    assert agent.request("GET", "/card", host=f"127.0.0.1:{agent.port + 1}")[0] == 403


def test_normalize_origin():
    assert normalize_origin("HTTP://LocalHost:8000/") == "http://localhost:8000"
    for bad in ("127.0.0.1:8000", "http://127.0.0.1:8000/path", "ftp://x", "*", ""):
        with pytest.raises(ValueError):
            normalize_origin(bad)
    with pytest.raises(ValueError):
        make_server(SimulatedCard("x.json"), ["*"])


# ---------------------------------------------------------------------------------------------------- logging


def test_log_shows_paths_and_status_codes_only(agent, caplog):
    with caplog.at_level(logging.INFO, logger="cardagent.server"):
        agent.request("GET", "/status", origin=ALLOWED)
        agent.request("GET", "/card", origin=ALLOWED)
        agent.request("POST", "/proof", origin=ALLOWED, body={"challenge": CHALLENGE})
        certificate_proof(agent, CERTIFICATE_PIN)
        certificate_proof(agent, "11111111")
        agent.request("GET", "/card?id=A123456789", origin=ALLOWED)
        agent.request("GET", "/A123456789", origin=ALLOWED)
        agent.request("GET", "/card", origin=FOREIGN)
    lines = [record.getMessage() for record in caplog.records if record.name == "cardagent.server"]
    assert lines == [
        "GET /status 200",
        "GET /card 200",
        "POST /proof 200",
        "POST /certificate/proof 200",
        "POST /certificate/proof 401",
        "GET /card 200",
        "GET (other path) 404",
        "GET /card 403",
    ]
    assert "A123456789" not in caplog.text
    assert CHALLENGE not in caplog.text
    assert "王小明" not in caplog.text
    assert CERTIFICATE_PIN not in caplog.text
    assert "11111111" not in caplog.text
    assert CERTIFICATE_SERIAL not in caplog.text


def test_malformed_request_line_is_not_logged(agent, caplog):
    import socket

    with (
        caplog.at_level(logging.INFO, logger="cardagent.server"),
        socket.create_connection(("127.0.0.1", agent.port)) as s,
    ):
        s.sendall(b"GARBAGE /A123456789 HTTP/9.9 extra\r\n\r\n")
        s.recv(4096)
    assert "A123456789" not in caplog.text


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_parses_arguments():
    from cardagent.__main__ import parse_args

    args = parse_args(["--card", "var/cards/000012345678.json", "--origin", ALLOWED, "--origin", "http://x:1/"])
    assert args.card == "var/cards/000012345678.json"
    assert args.certificate is None
    assert args.origin == [ALLOWED, "http://x:1"]
    assert args.port == 7777
    assert parse_args(["--pcsc"]).pcsc
    args = parse_args(["--certificate", "var/external/certificates/00A1B2C3D4E5F607.json"])
    assert (args.card, args.pcsc, args.certificate) == (None, False, "var/external/certificates/00A1B2C3D4E5F607.json")
    assert parse_args(["--card", "c.json", "--certificate", "x.json"]).certificate == "x.json"
    assert parse_args(["--pcsc", "--certificate", "x.json"]).pcsc


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give at least one of --card, --pcsc or --certificate"),
        (["--port", "8000"], "give at least one of --card, --pcsc or --certificate"),
        (["--pcsc", "--card", "x.json"], "not allowed with argument"),
        (["--certificate", "x.json", "--origin", "*"], "not an origin"),
    ],
)
def test_cli_refuses_bad_arguments(capsys, argv, message):
    from cardagent.__main__ import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_python_m_cardagent_serves(card_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cardagent", "--card", str(card_path), "--port", "0", "--origin", ALLOWED],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("cardagent listening on http://127.0.0.1:"), first + process.stderr.read()
        port = int(first.split("http://127.0.0.1:")[1].split(" ")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/card", headers={"Origin": ALLOWED})
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Access-Control-Allow-Origin") == ALLOWED
        assert json.loads(response.read())["card_number"] == "000012345678"
        connection.close()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "GET /card 200" in stderr
    assert "A123456789" not in stderr


def test_python_m_cardagent_serves_a_certificate_alone(certificate_path, ca):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cardagent", "--certificate", str(certificate_path), "--port", "0"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, "--origin", ALLOWED], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("cardagent listening on http://127.0.0.1:"), first + process.stderr.read()
        assert f"certificate: simulated certificate file {certificate_path}" in first
        port = int(first.split("http://127.0.0.1:")[1].split(" ")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        payload = json.dumps({"challenge": CHALLENGE, "pin": CERTIFICATE_PIN})
        connection.request(
            "POST", "/certificate/proof", body=payload, headers={"Origin": ALLOWED, "Content-Type": "application/json"}
        )
        response = connection.getresponse()
        assert response.status == 200
        body = json.loads(response.read())
        assert ca.verify(CHALLENGE, body["serial"], body["signature"]) == CERTIFICATE_HOLDER
        connection.close()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "POST /certificate/proof 200" in stderr
    assert CERTIFICATE_PIN not in stderr


def test_python_m_cardagent_without_a_card_or_certificate_refuses_to_start():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "cardagent", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "give at least one of --card, --pcsc or --certificate" in result.stderr
    assert "listening" not in result.stdout
