"""Namespace health in the center: scheduled sweeps, deduplicated findings, alerts."""
