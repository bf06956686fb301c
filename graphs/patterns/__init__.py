"""Multi-agent patterns: builders that return uncompiled LangGraph `StateGraph`s."""
