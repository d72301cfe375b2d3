"""Contracts and infrastructure shared by every Parvis service and the gateway.

Nothing in here knows about business rules: event names and payload schemas,
error types, the signed caller context, and helpers for databases, the
transactional outbox, idempotent event handlers, metrics and configuration.
"""
