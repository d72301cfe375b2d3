"""The bytes the gateway handles itself, for ``api/`` and ``web/`` alike.

No file crosses the bus: photos, community pictures and documents are streamed into the
gateway's blob stores (checked against their magic bytes and their limits before and while
they are read) and streamed out of them (ranges, ``nosniff``, a sandboxing CSP); the
services hold references only, asked through :mod:`gateway.calls`. The personal-data
archive (GDPR) is written here too, chunk by chunk.
"""
