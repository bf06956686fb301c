"""The platform every workflow is built on: the governed agent node, contracts at each handoff,
review policies and the review gate, decisions recorded once, redaction, tracing, the workflow
registry and the runtime that runs a thread (`graphs.kit.runtime`)."""
