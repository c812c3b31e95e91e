"""Demo data: `community-plus seed` and the sandbox's demo accounts."""
