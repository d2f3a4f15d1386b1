"""Use cases: each mutating one runs in one store transaction and returns data; none prints."""
