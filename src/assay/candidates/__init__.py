"""Candidates: files that define `ModelNew`, and the static scan reported as telemetry."""

from assay.candidates._scan import scan_source

__all__ = ["scan_source"]
