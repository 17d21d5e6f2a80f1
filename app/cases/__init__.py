"""The case lifecycle, in the order a case meets it: the case types the app serves (types),
filing with its ärendenummer and the owner's lists (filing), the statuses and their counters
(statuses), handling — status changes, messages, the queue and the audit trail (handling), when
handling starts (handling_hours), the case's documents — tree, detail HTML, PDF and its cache,
CSV (documents) — and deleting old cases (retention).

Views call these services and never touch a model."""
