"""Work-order additions: readable numbers (`numbering`)."""
