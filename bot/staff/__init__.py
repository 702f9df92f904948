"""The staff console: accounts, sessions and roles for service advisors, editors and admins."""
