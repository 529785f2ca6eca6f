"""skill_physics: the toy models of "Physics of Skill Learning" (arXiv 2501.12391), read beside the paper.

Models: ``geometry``, ``resource``, ``domino`` (with ``tasks``); experiments: ``sparse_parity`` (Figs 2, 16),
``quadratic`` (12), ``grokking`` (13), ``modularity`` (19); machinery: ``optim``, ``rng``, ``batching``, ``measure``,
``fits``, ``mlp``, ``util``; the figures: ``skill_physics.paper``. docs/paper_code.md maps the paper to the code.
"""
from .domino import domino_skills, parallel_skills
from .geometry import GeometryRecord, train_geometry
from .measure import crossing_times, loglog_slope, two_point_slope
from .resource import LOSSES, Dependencies, ResourceRecord, effective_rate, resource_loss, resource_model
from .tasks import power_law_frequencies, task_vectors

__all__ = ["LOSSES", "GeometryRecord", "train_geometry", "ResourceRecord", "resource_model", "resource_loss",
           "effective_rate", "Dependencies", "domino_skills", "parallel_skills", "power_law_frequencies",
           "task_vectors", "crossing_times", "two_point_slope", "loglog_slope"]
