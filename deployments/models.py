"""Models of deployments (to come)."""
