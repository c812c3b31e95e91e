"""Grid workers' home visits (走访): visits, visit plans per priority group, visits due."""
