"""The shape the design promises: one engine, domains reached only through effects, and code
that knows flow items by their role, never by their id."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from dialogs.loader import load_flows
from dialogs.model import ROLES

ROOT = Path(__file__).resolve().parent.parent
CODE = (
    "access",
    "bot",
    "care",
    "entries",
    "offers",
    "places",
    "referrals",
    "surveys",
    "results",
    "store",
    "admin_api",
    "wegweiser",
)


def test_import_contracts_hold():
    """.importlinter: dialogs imports nothing of the project, bot no domain, nothing the top."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "BROKEN" not in done.stdout


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_no_module_outside_dialogs_names_a_flow_item():
    flows = load_flows(ROOT / "dialogs" / "flows")
    ids = {item.id for flow in flows.values() for item in flow.items} - set(ROLES)
    found = []
    for package in CODE:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # history: written against the flows of their time
            for name in sorted(_strings(path) & ids):
                found.append(f"{path.relative_to(ROOT)}: {name!r}")
    assert found == [], "flow item ids in code (give the item a role instead):\n" + "\n".join(found)


def test_the_second_state_machine_is_gone():
    assert not (ROOT / "bot" / "intake.py").exists()
    assert not (ROOT / "bot" / "survey").exists()
