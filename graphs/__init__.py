"""Orchestration: the governed node, the patterns, tracing, policies, workflows and the CLI."""
