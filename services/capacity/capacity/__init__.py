"""Capacity: capacity returns per vacancy type with their rules, the full
history of every return, workforce, visiting and home care returns, and bulk
updates from a spreadsheet."""
