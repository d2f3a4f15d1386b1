"""Pipeline files: load (positions, duplicate keys) → schema → lint → model → machine."""
