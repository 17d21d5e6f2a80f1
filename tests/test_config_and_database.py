"""Configuration layers, the production refusal, and the database settings on each backend."""
import pytest

from app import create_app
from app.platform.config import load_config
from app.platform.extensions import db
from app.platform.security import InsecureConfiguration
from tests.conftest import make_app


def test_layers_apply_in_order(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('portal_name = "Från fil"\nsupport_phone = "1"\n', encoding="utf-8")
    environ = {"PORTAL_CONFIG": str(extra), "PORTAL_SUPPORT_PHONE": "2", "PORTAL_FORM_PREVIEW": "false"}
    config = load_config({"support_email": "x@example.se"}, environ=environ)
    assert config["PORTAL_NAME"] == "Från fil"          # PORTAL_CONFIG file over config.toml
    assert config["SUPPORT_PHONE"] == 2                  # env over the file, read as a TOML scalar
    assert config["FORM_PREVIEW"] is False              # env values are read as TOML scalars
    assert config["SUPPORT_EMAIL"] == "x@example.se"    # overrides win
    assert config["DATABASE_URL"].startswith("sqlite:")  # from config.toml


def test_env_keeps_text_that_is_not_toml():
    config = load_config(environ={"PORTAL_DATABASE_URL": "postgresql://u@h/db"})
    assert config["DATABASE_URL"] == "postgresql://u@h/db"


@pytest.fixture
def bankid_files(tmp_path):
    paths = {}
    for key in ("bankid_cert", "bankid_key", "bankid_ca"):
        paths[key] = str(tmp_path / f"{key}.pem")
        (tmp_path / f"{key}.pem").write_text("placeholder", encoding="utf-8")
    return paths


SAFE_PRODUCTION = {"env": "production", "secret_key": "k" * 48, "form_preview": False, "bankid_simulator": False,
                   "bankid_url": "https://appapi2.test.bankid.com/rp/v6.0/", "trusted_hosts": ["kundportal.example.se"],
                   "public_base_url": "https://kundportal.example.se"}


@pytest.mark.parametrize("overrides, words", [
    ({"secret_key": "dev-only-secret-key-change-me-in-production"}, "utvecklingsnyckeln"),
    ({"secret_key": "short"}, "32 tecken"),
    ({"debug": True}, "DEBUG"),
    ({"form_preview": True}, "FORM_PREVIEW"),
    ({"bankid_simulator": True}, "simulatorn"),
    ({"bankid_url": "http://127.0.0.1:5000/bankid-simulator/rp/v6.0/"}, "simulatorn"),
    ({"bankid_ca": "/finns/inte.pem"}, "certifikat"),
    ({"trusted_hosts": []}, "TRUSTED_HOSTS"),
    ({"bankid_url": ""}, "BANKID_URL"),
    ({"public_base_url": ""}, "PUBLIC_BASE_URL"),
    ({"wtf_csrf_enabled": False}, "WTF_CSRF_ENABLED"),
    ({"max_content_length": None}, "MAX_CONTENT_LENGTH"),
    ({"max_content_length": 0}, "MAX_CONTENT_LENGTH"),
    ({"max_content_length": -1}, "MAX_CONTENT_LENGTH"),
    ({"max_content_length": ""}, "MAX_CONTENT_LENGTH"),  # PORTAL_MAX_CONTENT_LENGTH= left blank
    ({"max_content_length": "2 MiB"}, "MAX_CONTENT_LENGTH"),
])
def test_production_refuses_development_settings(sqlite_url, bankid_files, overrides, words):
    settings = {**SAFE_PRODUCTION, **bankid_files, "database_url": sqlite_url, **overrides}
    with pytest.raises(InsecureConfiguration, match=words) as caught:
        create_app(settings)
    assert settings["secret_key"] not in str(caught.value)  # the key itself is never printed


def test_production_starts_with_safe_settings(sqlite_url, bankid_files):
    app = create_app({**SAFE_PRODUCTION, **bankid_files, "database_url": sqlite_url})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    client = app.test_client()
    assert client.get("/", headers={"Host": "kundportal.example.se"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.test"}).status_code == 400
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = client.get("/", headers={"Host": "kundportal.example.se"})
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_behind_a_proxy_only_the_trusted_hop_counts(sqlite_url):
    from flask import request

    app = make_app(sqlite_url, trusted_proxies=1)

    @app.get("/_ip")
    def client_ip():
        return request.remote_addr

    answer = app.test_client().get("/_ip", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert answer.get_data(as_text=True) == "203.0.113.9"


def test_sqlite_pragmas(app):
    with app.app_context():
        with db.connection_context():
            pragma = lambda name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 5000
            assert pragma("foreign_keys") == 1
    assert db.obj._lock_type == "IMMEDIATE"


def test_the_database_answers_on_each_backend(any_db_app):
    with any_db_app.app_context():
        with db.connection_context():
            assert db.execute_sql("SELECT 1 + 1").fetchone()[0] == 2


def test_init_db_command(any_db_app):
    result = any_db_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Databasen är klar." in result.output


def test_start_page(client):
    html = client.get("/").get_data(as_text=True)
    assert "Kundportalen" in html and "ombud@e-identitet.se" in html and "018-481 19 00 alt. 1" in html


def test_a_full_postgresql_pool_answers_503_quickly(postgresql_url):
    import threading
    import time as clock

    app = make_app(postgresql_url, database_pool_size=1, database_pool_timeout=0.5)
    held, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        with app.app_context():
            db.connect()
            held.set()
            release.wait(10)
            db.close()

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    held.wait(5)
    started = clock.monotonic()
    response = app.test_client().get("/")
    elapsed = clock.monotonic() - started
    release.set()
    holder.join()
    assert response.status_code == 503 and elapsed < 1.5
    assert app.test_client().get("/").status_code == 200  # back once the connection is free
