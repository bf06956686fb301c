"""The `baton` command line (`app`) and how it shows a trace (`trace_view`)."""
