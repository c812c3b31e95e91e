"""The audit trail: who read or changed which fields of whose record."""
