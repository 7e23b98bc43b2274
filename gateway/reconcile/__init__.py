"""Batch reconciliation of the insured population against the population database.

`reconcile(insured, population, out_dir)` links each insured record to the citizen its ID
names, compares the fields (SQL for the bulk, the identity toolkit for the rest) and writes
one row per record with its category, the differing fields and the authority's values.
"""

from gateway.reconcile.classify import TrustRule
from gateway.reconcile.errors import ReconcileError, ReconcileInputError, ReconcileOutputError
from gateway.reconcile.pipeline import PASSES, Pass, PassContext, ReconcileConfig, reconcile
from gateway.reconcile.summary import Summary

__all__ = [
    "PASSES",
    "Pass",
    "PassContext",
    "ReconcileConfig",
    "ReconcileError",
    "ReconcileInputError",
    "ReconcileOutputError",
    "Summary",
    "TrustRule",
    "reconcile",
]
