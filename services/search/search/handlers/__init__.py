"""The search service's use cases, one module per area."""
