"""The offline proposer: real program transformations of the task's `Model`, no LLM and no network."""

from assay.search._offline._proposer import OfflineProposer

__all__ = ["OfflineProposer"]
