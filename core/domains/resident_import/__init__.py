"""Resident import from a spreadsheet."""
