"""The development tools stay out of production: a portal started with a production config and
serving requests never imports app.dev (the BankID simulator, its mount, the dev server and the
SMTP sink) nor the sink's aiosmtpd — checked in a fresh interpreter, so nothing the test run
imported earlier can hide or fake it. WeasyPrint, which only a PDF needs, is not loaded either."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from app import create_app
folder = sys.argv[1]
cert = {name: f"{folder}/{name}.pem" for name in ("cert", "key", "ca")}
for path in cert.values():
    open(path, "w").write("not read before a login starts")
app = create_app({
    "env": sys.argv[2], "secret_key": "p" * 48, "database_url": f"sqlite:///{folder}/portal.db",
    "trusted_hosts": ["localhost"], "public_base_url": "https://portal.example.se", "form_preview": False,
    "bankid_simulator": False,
    "bankid_url": "https://appapi2.bankid.com/rp/v6.0/",
    "bankid_cert": cert["cert"], "bankid_key": cert["key"], "bankid_ca": cert["ca"],
})
client = app.test_client()
statuses = [client.get(path).status_code for path in ("/", "/logga-in", "/mina-sidor")]
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("aiosmtpd", "weasyprint") or name.startswith("app.dev"))
print(json.dumps({"statuses": statuses, "loaded": loaded}))
"""


def started(env: str, folder: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, str(folder), env], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_never_imports_the_development_tools(tmp_path):
    outcome = started("production", tmp_path)
    assert outcome["statuses"] == [200, 200, 302]  # it really served: start page, login page, redirect to login
    assert outcome["loaded"] == []


def test_the_probe_sees_the_development_tools_in_development(tmp_path):
    """Positive control: the same probe in development finds app.dev loaded."""
    outcome = started("development", tmp_path)
    assert "app.dev" in outcome["loaded"] and "aiosmtpd" in outcome["loaded"]
