"""``python -m cardagent [--card PATH | --pcsc] [--certificate PATH]``.

``--card`` a simulated NHI card, ``--pcsc`` a real NHI card in a reader, ``--certificate`` a simulated citizen
digital certificate (自然人憑證); at least one of them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .certificate import SimulatedCertificate
from .server import DEFAULT_ORIGINS, DEFAULT_PORT, HOST, make_server, normalize_origin
from .sources import PcscCard, SimulatedCard


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cardagent",
        description=(
            "Serve the NHI IC card and/or the citizen digital certificate to HealthBank's pages on "
            "http://127.0.0.1:PORT. Give at least one of --card, --pcsc or --certificate."
        ),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--card", metavar="PATH", help="a simulated card file (JSON), e.g. var/cards/<number>.json")
    source.add_argument("--pcsc", action="store_true", help="a real NHI card in a PC/SC reader (needs pyscard)")
    parser.add_argument(
        "--certificate",
        metavar="PATH",
        help="a simulated citizen digital certificate file (JSON), e.g. var/external/certificates/<serial>.json",
    )
    parser.add_argument("--reader", type=int, default=0, metavar="N", help="PC/SC reader index (default 0)")
    parser.add_argument(
        "--origin",
        action="append",
        metavar="ORIGIN",
        help=f"a web origin allowed to call the agent (repeatable; default: {', '.join(DEFAULT_ORIGINS)})",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The checked command line (``args.origin`` normalized); a usage error exits with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.card or args.pcsc or args.certificate):
        parser.error("give at least one of --card, --pcsc or --certificate")
    try:
        args.origin = [normalize_origin(origin) for origin in args.origin or DEFAULT_ORIGINS]
    except ValueError as exc:
        parser.error(str(exc))
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0-65535")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    origins = args.origin
    source = PcscCard(args.reader) if args.pcsc else SimulatedCard(args.card) if args.card else None
    certificate = SimulatedCertificate(args.certificate) if args.certificate else None

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    server = make_server(source, origins, args.port, certificate)
    serving = []
    if source is not None:
        serving.append(f"{source.kind}: {source.presence()[1]}")
    if certificate is not None:
        serving.append(f"certificate: {certificate.presence()[1]}")
    print(f"cardagent listening on http://{HOST}:{server.port} ({'; '.join(serving)})", flush=True)
    print(f"allowed origins: {', '.join(sorted(server.origins))}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
