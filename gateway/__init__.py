"""Parvis gateway: REST API, web UI, health and metrics (Flask)."""
