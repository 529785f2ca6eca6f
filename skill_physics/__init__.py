"""skill_physics: the three toy models of "Physics of Skill Learning" (Liu, Liu, Michaud, Gore, Tegmark 2025).

The models: ``tasks`` (frequencies, task vectors), ``geometry`` (the Geometry-model engine), ``resource`` (the
Resource model), ``domino`` (the Domino model). Their machinery: ``optim`` (element-wise optimizers on stacked runs),
``rng`` (per-run counter-based random numbers), ``batching`` (padding runs into one stack), ``measure`` (crossing
times, slopes), ``fits`` (Geometry vs Resource model, the N0 fit), ``mlp`` (stacked MLP initialisation). The
experiments of the paper's other figures: ``sparse_parity`` (Figs 2, 16), ``quadratic`` (Fig 12), ``grokking``
(Fig 13), ``modularity`` (Fig 19), ``sweep`` and ``scaling`` (Figs 10, 18). The figure scripts' toolkit: ``figure``,
``panels``, ``paths``.
"""
from .domino import domino_skills, parallel_skills
from .geometry import GeometryRecord, train_geometry
from .measure import crossing_times, loglog_slope, two_point_slope
from .resource import Dependencies, effective_rate, resource_loss, resource_model
from .tasks import power_law_frequencies, task_vectors

__all__ = ["GeometryRecord", "train_geometry", "resource_model", "resource_loss", "effective_rate", "Dependencies",
           "domino_skills", "parallel_skills", "power_law_frequencies", "task_vectors", "crossing_times",
           "two_point_slope", "loglog_slope"]
