"""Persistence: the saver factory, rollback and history helpers, the side-effect ledger.

Depends on neither `agents` nor `graphs`.
"""
