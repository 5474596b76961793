"""The optimizer: an evolutionary search whose every candidate is judged by the hardened evaluator."""

from assay.search._config import Budget, EvalSettings, LLMSettings, SearchConfig
from assay.search._database import Entry, ProgramDatabase
from assay.search._offline import OfflineProposer
from assay.search._optimize import BEST_FILE, EvaluatorLike, Outcome, optimize, resume
from assay.search._programs import Program, near_duplicate, parse_program
from assay.search._progress import LineReporter, LiveReporter, Reporter
from assay.search._proposer import Parent, Proposal, ProposalRequest, Proposer, Stage, Usage
from assay.search._registry import make_proposer, proposer_names, register_proposer

__all__ = [
    "BEST_FILE",
    "Budget",
    "Entry",
    "EvalSettings",
    "EvaluatorLike",
    "LLMSettings",
    "LineReporter",
    "LiveReporter",
    "OfflineProposer",
    "Outcome",
    "Parent",
    "Program",
    "ProgramDatabase",
    "Proposal",
    "ProposalRequest",
    "Proposer",
    "Reporter",
    "SearchConfig",
    "Stage",
    "Usage",
    "make_proposer",
    "near_duplicate",
    "optimize",
    "parse_program",
    "proposer_names",
    "register_proposer",
    "resume",
]
