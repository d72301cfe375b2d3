"""The gateway's call layer: the code that asks services, and remembers their answers.

Growing one service at a time (``identity`` first: sessions and people's cards, kept true
by identity's events). ``api/`` and ``web/`` ask through here; a module here is the only
home of a cache of a service's answers.
"""
