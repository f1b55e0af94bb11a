"""Compliance monitoring: each agency's status per year, the events derived from it, the status roll-up."""
