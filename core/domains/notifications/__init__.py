"""Notifications: the outbox, the in-app inbox and WeChat subscription templates."""
