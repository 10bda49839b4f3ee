"""Organizations, groups, people, roles, vetting and invitations."""
