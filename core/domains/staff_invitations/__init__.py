"""Invitations for module providers' staff (care workers, canteen staff) to join a community."""
