"""The family service hall: what a guardian may see of the wards they look after."""
