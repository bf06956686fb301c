"""Data only: the result envelope, each workflow's contracts, trace events and review decisions."""
