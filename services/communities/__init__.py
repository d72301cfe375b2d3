"""The communities service: communities, membership, managers, invitations,
join requests, archive state, events/agenda."""
