"""Logged-in test clients: `customer` (Tolvan, with Mina uppgifter filled in) and `handler`
(Hanna, given the handler role), each logged in through the real BankID flow. They build on the
`portal` fixture that each test module defines for the settings it needs."""
from __future__ import annotations

import pytest

from app.accounts.users import ensure_user
from app.platform.extensions import db
from tests.login_helpers import CUSTOMER, HANDLER, log_in, log_in_with_profile


@pytest.fixture
def customer(portal):
    client = portal.test_client()
    log_in_with_profile(client, CUSTOMER)
    return client


@pytest.fixture
def handler(portal):
    with portal.app_context(), db.connection_context():
        ensure_user(HANDLER, "Hanna Handläggare", "handler")
    client = portal.test_client()
    log_in(client, HANDLER)
    return client
