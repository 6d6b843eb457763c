"""Notices to patients, delivered from the outbox (e-mail)."""
