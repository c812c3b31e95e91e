"""Staff accounts: listing, creation, disabling, password resets and changes, role and scope
edits within the editor's own scope, per-account login lockout and optional TOTP for admins.

- `repository` — the `users` queries staff management needs, reset codes, login failures.
- `rules` — who may manage whom (role rank and scope containment).
- `service` — the operations, each audited.
- `login_guard` — back-off/lockout after wrong passwords, TOTP second factor.
- `api` — GraphQL types, queries and mutations.
"""
