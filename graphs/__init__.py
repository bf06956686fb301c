"""Orchestration. The workflow modules live at this package's top level (`underwriting`,
`contract_review`, `support_triage`); the platform they are built from is `graphs.kit`, the
multi-agent patterns are `graphs.patterns`, what a LangGraph server loads is `graphs.server`,
and the `baton` command line is `graphs.cli`."""
