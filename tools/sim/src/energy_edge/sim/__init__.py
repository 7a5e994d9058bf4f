"""Site simulator."""
