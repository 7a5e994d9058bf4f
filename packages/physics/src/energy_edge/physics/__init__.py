"""Physics models of a site (see README)."""
