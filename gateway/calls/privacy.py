"""What every service holds about a person (GDPR), asked of them all at once."""

from __future__ import annotations

from . import Pending, parallel


def person_data(person_id: str, services) -> dict:
    """Each service's ``export_person_data`` (each checks the caller is that person or an
    admin), in parallel: ``service -> answer``, or the exception for one that failed."""
    return parallel(
        **{name: Pending(name, "export_person_data", {"person_id": person_id}) for name in services}
    )
