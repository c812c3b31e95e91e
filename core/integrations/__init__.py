"""Integrations with outside systems (WeChat)."""
