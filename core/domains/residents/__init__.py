"""Resident additions: export (`export`)."""
