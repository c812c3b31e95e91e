"""The plugin developer's local environment: fake WeChat server, demo data, sandbox runner."""
