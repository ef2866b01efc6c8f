"""docs/audit.md stays true: every test its catalogue names exists, and every catalogue test is
named there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "audit.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def functions_in(rel: str) -> set[str]:
    tree = ast.parse((REPO / rel).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def named() -> set[tuple[str, str]]:
    section = DOC.read_text(encoding="utf-8").split("\n## Catalogue\n", 1)[1]
    return {(m[1], m[2]) for m in REFERENCE.finditer(section)}


def test_every_named_test_exists() -> None:
    refs = named()
    assert len(refs) >= 20
    for rel, name in sorted(refs):
        assert name in functions_in(rel), f"{rel}::{name} is named in docs/audit.md but does not exist"


def test_every_catalogue_test_is_named() -> None:
    listed = {name for rel, name in named() if rel == "tests/test_audit_catalogue.py"}
    missing = functions_in("tests/test_audit_catalogue.py") - listed
    assert not missing, f"add to docs/audit.md: {sorted(missing)}"
