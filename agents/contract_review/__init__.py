"""The contract review specialists (see `agents.contract_review.specs` for their specs)."""
