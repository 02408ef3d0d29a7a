"""Models of governance (to come)."""
