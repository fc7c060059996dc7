"""STYLE habit 1: dialback.domain imports only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import dialback.domain

DOMAIN = Path(dialback.domain.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_domain_imports_only_stdlib_and_itself() -> None:
    offenders: list[str] = []
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "the domain package has no modules"
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "__future__" or top in sys.stdlib_module_names:
                continue
            if name == "dialback.domain" or name.startswith("dialback.domain."):
                continue
            offenders.append(f"{path.relative_to(DOMAIN)} imports {name}")
    assert offenders == []


def test_purity_check_catches_a_third_party_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom fastapi import FastAPI\nimport json\n")
    assert _imports(bad) == {"sqlalchemy", "fastapi", "json"}
