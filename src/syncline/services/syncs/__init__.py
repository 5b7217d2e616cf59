"""Model syncs: their configuration, its validation, and the use cases around them."""
