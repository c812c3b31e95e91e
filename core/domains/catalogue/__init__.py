"""The low-code service catalogue and its application forms."""
