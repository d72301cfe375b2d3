"""Deployment: the launcher that runs the whole platform on one machine, the demo seed,
container image and compose file."""
