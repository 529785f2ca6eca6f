"""skill_physics: the three toy models of "Physics of Skill Learning" (Liu, Liu, Michaud, Gore, Tegmark 2025).

Modules, in the paper's vocabulary: ``tasks`` (frequencies, task vectors), ``geometry`` (the Geometry model engine),
``resource`` (the Resource model), ``domino`` (the Domino model), ``optim`` (element-wise optimizers on stacked
runs), ``rng`` (per-run counter-based random numbers), ``measure`` (crossing times, slopes), ``figure`` (the figure
script toolkit), ``paths``.
"""
from .domino import domino_skills, parallel_skills
from .geometry import GeometryRecord, train_geometry
from .measure import crossing_times, loglog_slope, two_point_slope
from .resource import Dependencies, effective_rate, resource_loss, resource_model
from .tasks import power_law_frequencies, task_vectors

__all__ = ["GeometryRecord", "train_geometry", "resource_model", "resource_loss", "effective_rate", "Dependencies",
           "domino_skills", "parallel_skills", "power_law_frequencies", "task_vectors", "crossing_times",
           "two_point_slope", "loglog_slope"]
