"""Agent specs, the registry and each workflow's specialists. No graph code here."""
