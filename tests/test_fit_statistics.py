"""``learning_times`` and ``domino_statistics`` of hand-written curves: onset and completion levels, the share of a
skill's gain made after the previous one completed (clipped to [0, 1], NaN without a gain or a previous completion)
and the ratio of completion steps (arXiv 2501.12391, Sec. 5: the Domino effect)."""
import numpy as np

from skill_physics.fits import domino_statistics, learning_times

STEPS = np.arange(6.0)
SKILLS = np.array([
    # run 0: skill 1 makes 2/3 of its gain after skill 0 completes (step 2), skill 2 never completes
    [[0, .5, .95, 1, 1, 1], [.1, .2, .4, .6, .92, 1], [0, 0, 0, .1, .5, .8], [.2, .3, .3, .3, .3, .3]],
    # run 1: skill 1 rises and falls back (no gain), skill 2 ends below where it stood, skill 3 dips first
    [[0, .95, 1, 1, 1, 1], [.3, .9, .6, .5, .4, .3], [0, .8, .95, .4, .4, .4], [.5, .2, .2, .95, .95, .95]],
]).transpose(0, 2, 1)                                                   # (R, T, K)


def test_learning_times_default_to_the_first_steps_at_or_above_0_1_and_0_9():
    onset, completion = learning_times(SKILLS, STEPS)
    np.testing.assert_array_equal(onset, [[1, 0, 3, 0], [1, 0, 1, 0]])
    np.testing.assert_array_equal(completion, [[2, 4, np.nan, np.nan], [1, 1, 2, 3]])


def test_after_previous_is_the_share_of_the_gain_made_after_the_previous_completion():
    _, completion = learning_times(SKILLS, STEPS)
    after, delay = domino_statistics(SKILLS, STEPS, completion)
    np.testing.assert_allclose(after, [[2 / 3, 0.3 / 0.8, np.nan], [np.nan, 0.0, 1.0]])
    np.testing.assert_allclose(delay, [[2.0, np.nan, np.nan], [1.0, 2.0, 1.5]])
