"""API routes, one small module per area."""
