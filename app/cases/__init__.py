"""The case lifecycle: the case types the app serves (types), filing and case numbers (filing),
handling — status changes, messages, the queue and the audit trail (handling), when handling
starts (handling_hours), and deleting old cases (retention)."""
