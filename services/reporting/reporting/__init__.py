"""The reporting service: utilisation over time, when locations last updated,
the public bed state and data exports, from its own read model of locations
and every capacity return."""
