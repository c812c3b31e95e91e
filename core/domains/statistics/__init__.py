"""Work-order statistics."""
