"""affected-apps: which apps a change affects."""
