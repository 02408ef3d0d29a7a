"""Models of training (to come)."""
