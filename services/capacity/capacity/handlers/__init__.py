"""The capacity service's use cases: plain functions of a unit of work."""
