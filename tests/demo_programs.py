"""The demo programs in demo/ (stand-alone scripts, not a package) loaded by their tests, and a free local port."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "demo"


def load_demo(name: str):
    """demo/<name>.py as a module (its server classes and helpers)."""
    spec = importlib.util.spec_from_file_location(name, DEMO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
