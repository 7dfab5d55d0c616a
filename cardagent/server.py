"""The agent's local HTTP endpoint (127.0.0.1 only) that HealthBank's registration and login pages fetch.

Endpoints (all JSON): ``GET /status``, ``GET /card``, ``POST /proof`` (the NHI card),
``POST /certificate/proof`` (the citizen digital certificate, with its PIN), plus CORS preflight (``OPTIONS``).
The agent serves an NHI card, a citizen certificate, or both.

Security:

- bound to 127.0.0.1 only, and the ``Host`` header must name 127.0.0.1 or localhost (blocks DNS rebinding);
- a request whose ``Origin`` is not in the allow-list gets 403 and no card data; only allowed origins get
  ``Access-Control-Allow-Origin``;
- the request log shows method, path and status code only: never a query string, a body (so never a PIN) or
  the national ID.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import __version__
from .certificate import (
    BadPin,
    CertificateFileError,
    NoCertificateError,
    PinLocked,
    SimulatedCertificate,
    WrongPin,
)
from .nhicard import CardDataError, parse_basic_data
from .proof import is_valid_challenge, proof_message
from .sources import CardFileError, CardSource, NoCardError, SigningNotAvailable

__all__ = [
    "AGENT_NAME",
    "DEFAULT_ORIGINS",
    "DEFAULT_PORT",
    "HOST",
    "CardAgentServer",
    "make_server",
    "normalize_origin",
]

AGENT_NAME = "healthbank-cardagent"
HOST = "127.0.0.1"
DEFAULT_PORT = 7777
DEFAULT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
MAX_BODY = 4096
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_PATHS = ("/status", "/card", "/proof", "/certificate/proof")
NO_CARD = "no card in the reader"
NO_CERTIFICATE = "no certificate in the reader"
BAD_CHALLENGE = "challenge must be 16-128 URL-safe characters (A-Z a-z 0-9 - _)"
_ORIGIN_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", re.IGNORECASE
)

logger = logging.getLogger("cardagent.server")


def normalize_origin(origin: str) -> str:
    """``"http://127.0.0.1:8000/"`` → ``"http://127.0.0.1:8000"``; raises ``ValueError`` if not an origin."""
    text = origin.strip().rstrip("/")
    if not _ORIGIN_RE.fullmatch(text):
        raise ValueError(f"not an origin (scheme://host[:port], no path): {origin!r}")
    scheme, _, rest = text.partition("://")
    return f"{scheme.lower()}://{rest.lower()}"


class CardAgentServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` on 127.0.0.1 holding the card source, the certificate and the allowed origins.

    ``source`` (the NHI card) or ``certificate`` may be ``None``: the agent then answers that there is no such
    card in the reader.
    """

    daemon_threads = True

    def __init__(
        self,
        source: CardSource | None,
        origins,
        port: int = 0,
        certificate: SimulatedCertificate | None = None,
    ) -> None:
        self.source = source
        self.certificate = certificate
        self.origins = frozenset(normalize_origin(origin) for origin in origins)
        self.card_lock = threading.Lock()  # one card, one conversation at a time
        super().__init__((HOST, port), CardAgentHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


def make_server(
    source: CardSource | None, origins, port: int = 0, certificate: SimulatedCertificate | None = None
) -> CardAgentServer:
    """The agent's server bound to 127.0.0.1 (``port=0``: an ephemeral port, see ``server.port``); not started."""
    return CardAgentServer(source, origins, port, certificate)


class CardAgentHandler(BaseHTTPRequestHandler):
    server: CardAgentServer
    server_version = "HealthBankCardAgent/" + __version__
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: an unread body can never leak into the next

    # ------------------------------------------------------------------------------------------- dispatch

    def do_GET(self) -> None:
        self._dispatch({"/status": self._status, "/card": self._card})

    def do_POST(self) -> None:
        self._dispatch({"/proof": self._proof, "/certificate/proof": self._certificate_proof})

    def do_OPTIONS(self) -> None:
        if not self._check_host():
            return
        origin = self.headers.get("Origin")
        if origin is None or not self._origin_allowed(origin):
            self._send_json(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors_headers(origin)
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        self._not_allowed()

    do_DELETE = do_PATCH = do_HEAD = do_PUT  # http.server's method naming

    def _dispatch(self, routes: dict) -> None:
        if not self._check_host() or not self._check_origin():
            return
        handler = routes.get(self._path())
        if handler is not None:
            handler()
        elif self._path() in _PATHS:
            self._not_allowed()
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _not_allowed(self) -> None:
        self._send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method not allowed"})

    # ------------------------------------------------------------------------------------------- endpoints

    def _status(self) -> None:
        source = self.server.source
        if source is None:
            present, detail = False, "the agent serves no NHI card (started without --card or --pcsc)"
        else:
            with self.server.card_lock:
                present, detail = source.presence()
        certificate = self.server.certificate
        body = {
            "agent": AGENT_NAME,
            "version": __version__,
            "card_present": present,
            "source": None if source is None else source.kind,
            "detail": detail,
            "certificate_present": certificate is not None and certificate.present(),
        }
        self._send_json(HTTPStatus.OK, body)

    def _read_card(self) -> dict | None:
        """The parsed card, or ``None`` after sending the error response."""
        if self.server.source is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": NO_CARD})
            return None
        try:
            with self.server.card_lock:
                answer = self.server.source.read_basic_data()
            return parse_basic_data(answer)
        except NoCardError:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": NO_CARD})
        except CardDataError as exc:
            self._send_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
        except CardFileError as exc:
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
        return None

    def _card(self) -> None:
        card = self._read_card()
        if card is not None:
            body = {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in card.items()}
            self._send_json(HTTPStatus.OK, body)

    def _challenge_body(self) -> tuple[dict, str] | None:
        """The JSON body and its valid challenge, or ``None`` after sending the error response."""
        body = self._json_body()
        if body is None:
            return None
        challenge = body.get("challenge")
        if not is_valid_challenge(challenge):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": BAD_CHALLENGE})
            return None
        return body, challenge

    def _proof(self) -> None:
        request = self._challenge_body()
        if request is None:
            return
        _body, challenge = request
        card = self._read_card()
        if card is None:
            return
        message = proof_message(challenge, card["card_number"], card["national_id"])
        try:
            with self.server.card_lock:
                signature = self.server.source.sign(message)
        except SigningNotAvailable as exc:
            self._send_json(HTTPStatus.NOT_IMPLEMENTED, {"error": str(exc)})
            return
        except NoCardError:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": NO_CARD})
            return
        except CardFileError as exc:
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
            return
        self._send_json(
            HTTPStatus.OK,
            {
                "card_number": card["card_number"],
                "national_id": card["national_id"],
                "signature": base64.b64encode(signature).decode("ascii"),
            },
        )

    def _certificate_proof(self) -> None:
        """``{"challenge", "pin"}`` → ``{"serial", "signature"}``; the PIN is never logged nor echoed."""
        request = self._challenge_body()
        if request is None:
            return
        body, challenge = request
        certificate = self.server.certificate
        if certificate is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": NO_CERTIFICATE})
            return
        try:
            serial, signature = certificate.sign(challenge, body.get("pin"))
        except NoCertificateError:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": NO_CERTIFICATE})
            return
        except CertificateFileError as exc:
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
            return
        except BadPin as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except WrongPin as exc:
            self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "wrong PIN", "tries_left": exc.tries_left})
            return
        except PinLocked as exc:
            self._send_json(HTTPStatus.LOCKED, {"error": str(exc)})
            return
        self._send_json(HTTPStatus.OK, {"serial": serial, "signature": base64.b64encode(signature).decode("ascii")})

    # ------------------------------------------------------------------------------------------- helpers

    def _path(self) -> str:
        return urlsplit(self.path).path

    def _check_host(self) -> bool:
        """The Host header must name this machine by 127.0.0.1 or localhost (a DNS-rebinding page would not)."""
        host = (self.headers.get("Host") or "").strip().lower()
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        if name in _LOCAL_HOSTS and (not port or port == str(self.server.port)):
            return True
        self._send_json(HTTPStatus.FORBIDDEN, {"error": "requests must be addressed to 127.0.0.1 or localhost"})
        return False

    def _origin_allowed(self, origin: str) -> bool:
        try:
            return normalize_origin(origin) in self.server.origins
        except ValueError:
            return False

    def _check_origin(self) -> bool:
        """No Origin (a local program, not a web page) is fine; a web page's Origin must be allowed."""
        origin = self.headers.get("Origin")
        if origin is None or self._origin_allowed(origin):
            return True
        self._send_json(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
        return False

    def _json_body(self) -> dict | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "a JSON body with Content-Length is required"})
            return None
        if int(length) > MAX_BODY:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body larger than {MAX_BODY} bytes"})
            return None
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "body is not valid JSON"})
            return None
        if not isinstance(body, dict):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "body must be a JSON object"})
            return None
        return body

    def _cors_headers(self, origin: str | None) -> None:
        self.send_header("Vary", "Origin")
        if origin is not None and self._origin_allowed(origin):
            self.send_header("Access-Control-Allow-Origin", origin)

    def _send_json(self, status: HTTPStatus, body: dict) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self._cors_headers(self.headers.get("Origin"))
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    # ------------------------------------------------------------------------------------------- logging

    def log_request(self, code="-", size="-") -> None:
        """Method, path (no query string) and status code only: nothing from the card or the body."""
        code = getattr(code, "value", code)
        logger.info("%s %s %s", self.command or "-", self._safe_path(), code)

    def log_error(self, format, *args) -> None:  # http.server's signature
        """http.server's error messages can quote the request line; log only the status line we send."""

    def log_message(self, format, *args) -> None:  # http.server's signature
        logger.info("%s %s", self.command or "-", self._safe_path())

    def _safe_path(self) -> str:
        path = urlsplit(getattr(self, "path", "") or "").path
        return path if path in _PATHS else "(other path)"
