"""The identity service: organisations, people, roles, credentials, sessions, profiles."""
