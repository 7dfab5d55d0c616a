"""The shared kernel reads its reference catalogues from its own folder, never from an app above it (issue 7)."""

from __future__ import annotations

import ast
from pathlib import Path

import healthbank.core
import healthbank.demo
from healthbank.core import codes

CORE = Path(healthbank.core.__file__).resolve().parent
DEMO = Path(healthbank.demo.__file__).resolve().parent


def test_the_catalogues_live_in_the_kernel_not_in_the_demo_app():
    assert codes.DATA_DIR.resolve().is_relative_to(CORE)
    for name in ("icd10cm.csv", "nhi_drugs.csv", "nhi_payment_codes.csv", "loinc_labs.csv", "vaccines.csv"):
        assert (codes.DATA_DIR / name).is_file(), name
        assert not (DEMO / "data" / name).exists(), f"{name} is still in the demo app"
    assert (codes.DATA_DIR / "SOURCES.md").is_file()


def test_no_kernel_module_names_an_app_above_it():
    apps = ("identity", "accounts", "devices", "records", "passbook", "insurance", "demo", "exports", "vcard")
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        for app in apps:
            assert not any(m.startswith(f"healthbank.{app}") for m in imported), (path.name, app)
        assert not any(s == "demo" for s in strings), f"{path.name} reads a folder of the demo app"
