"""Regions, communities and grids."""
