"""Resident identity: WeChat login, sessions, phone binding and binding requests."""
