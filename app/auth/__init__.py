"""BankID authentication: the RP API v6 client (bankid), its Swedish user messages (messages) and a
local simulator of the BankID service and app for development and tests (simulator)."""
