"""Energy model shared by policy (what a policy would save) and reporting (what was used)."""
