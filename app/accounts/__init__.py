"""People and their access: the BankID RP API v6 client (bankid) and its Swedish messages
(bankid_messages), the login flow (login), sessions (sessions), the `users` command (users),
Mina uppgifter (profiles) and rate limits (ratelimit)."""
