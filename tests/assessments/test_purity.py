"""The rules are plain Python (DESIGN.md): the assessments package and the policy it reads import no Django and
nothing of HealthBank but each other, so they run and are tested without settings or a database."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import healthbank

ROOT = Path(healthbank.__file__).parent
ALLOWED_HEALTHBANK = {"healthbank", "healthbank.policy"}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    return modules


def test_the_assessment_rules_import_only_the_standard_library_policy_and_each_other():
    files = [*sorted((ROOT / "assessments").glob("*.py")), ROOT / "policy.py"]
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or module in ALLOWED_HEALTHBANK
                or module.startswith("healthbank.assessments")
            )
            assert allowed, f"{path.relative_to(ROOT.parent)} imports {module}"
