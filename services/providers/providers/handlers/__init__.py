"""The providers service's use cases: plain functions of a unit of work (or,
for bulk imports, of a database). No nameko here."""
