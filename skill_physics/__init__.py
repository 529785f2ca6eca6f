"""skill_physics: the three toy models of "Physics of Skill Learning" (arXiv 2501.12391), read beside the paper.

The models: ``tasks``, ``geometry`` (Geometry model), ``resource`` (Resource model), ``domino`` (Domino model).
Their machinery: ``optim``, ``rng`` (counter-based random numbers), ``batching``, ``measure``, ``fits``, ``mlp``,
``util``. The experiments of the other figures: ``sparse_parity`` (Figs 2, 16), ``quadratic`` (Fig 12),
``grokking`` (Fig 13), ``modularity`` (Fig 19). What regenerates the paper's figures lives in ``skill_physics.paper``.
"""
from .domino import domino_skills, parallel_skills
from .geometry import GeometryRecord, train_geometry
from .measure import crossing_times, loglog_slope, two_point_slope
from .resource import Dependencies, effective_rate, resource_loss, resource_model
from .tasks import power_law_frequencies, task_vectors

__all__ = ["GeometryRecord", "train_geometry", "resource_model", "resource_loss", "effective_rate", "Dependencies",
           "domino_skills", "parallel_skills", "power_law_frequencies", "task_vectors", "crossing_times",
           "two_point_slope", "loglog_slope"]
