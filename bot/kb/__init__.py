"""Knowledge-base tooling for content editors: reading, validating and indexing knowledge/."""
