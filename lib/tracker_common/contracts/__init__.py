"""What crosses the bus, defined once: errors, events, permissions and the
schemas of RPC and HTTP bodies. Validated on both sides."""
