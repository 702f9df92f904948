"""Failure-demand analytics: redaction, the per-turn event log and its queries."""
