"""The agenda service (a plug-in): a community's events, who comes, and calendars.

Documented in docs/services/agenda.md.
"""
