"""The optimizer: an evolutionary search whose every candidate is judged by the hardened evaluator."""

from assay.search._offline import OfflineProposer
from assay.search._proposer import Parent, Proposal, ProposalRequest, Proposer, Stage, Usage

__all__ = ["OfflineProposer", "Parent", "Proposal", "ProposalRequest", "Proposer", "Stage", "Usage"]
