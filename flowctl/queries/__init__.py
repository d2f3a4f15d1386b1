"""Read-only questions asked of a pipeline or a store."""
