"""``python -m cardagent --card PATH`` (simulated card) or ``python -m cardagent --pcsc`` (real reader)."""

from __future__ import annotations

import argparse
import logging
import sys

from .server import DEFAULT_ORIGINS, DEFAULT_PORT, HOST, make_server, normalize_origin
from .sources import PcscCard, SimulatedCard


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cardagent",
        description="Serve the NHI IC card to HealthBank's pages on http://127.0.0.1:PORT.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--card", metavar="PATH", help="a simulated card file (JSON), e.g. var/cards/<number>.json")
    source.add_argument("--pcsc", action="store_true", help="a real NHI card in a PC/SC reader (needs pyscard)")
    parser.add_argument("--reader", type=int, default=0, metavar="N", help="PC/SC reader index (default 0)")
    parser.add_argument(
        "--origin",
        action="append",
        metavar="ORIGIN",
        help=f"a web origin allowed to call the agent (repeatable; default: {', '.join(DEFAULT_ORIGINS)})",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    origins = args.origin or list(DEFAULT_ORIGINS)
    try:
        origins = [normalize_origin(origin) for origin in origins]
    except ValueError as exc:
        parser.error(str(exc))
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0-65535")
    source = PcscCard(args.reader) if args.pcsc else SimulatedCard(args.card)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    server = make_server(source, origins, args.port)
    _present, detail = source.presence()
    print(f"cardagent listening on http://{HOST}:{server.port} ({source.kind}: {detail})", flush=True)
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
