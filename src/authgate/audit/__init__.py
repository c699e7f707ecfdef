"""The audit log: security-relevant events, appended to the database."""
