"""The pure parts import alone: each module is imported in a fresh interpreter, and neither
Flask, peewee nor WTForms may end up in sys.modules (a transitive import counts too)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "peewee", "wtforms", "flask_wtf", "flask_mail")
PURE_PACKAGES = ("casetypes", "renderers")


def pure_modules() -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in PURE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
    )


PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] in {forbidden!r})))
"""


@pytest.mark.parametrize("module", pure_modules())
def test_pure_module_imports_alone_without_web_or_database_libraries(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=set(FORBIDDEN)), module],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []


def test_the_probe_sees_a_forbidden_import():
    """Positive control: the same probe run on a product module reports Flask."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=set(FORBIDDEN)), "app"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert "flask" in json.loads(result.stdout)
