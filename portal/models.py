"""Models of portal (to come)."""
