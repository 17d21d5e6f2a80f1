"""Telling people what happened: bell rows and outbox e-mails written in the event's transaction
(notifications), and the worker that delivers the outbox (mailer)."""
