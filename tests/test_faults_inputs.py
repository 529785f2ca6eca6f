"""Issue 21, item 8: the package's functions refuse input that has no meaning with one sentence naming the argument,
the value and what is allowed (shared checks in ``skill_physics.util``)."""
import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model, task_vectors, train_geometry

P = np.array([0.5, 0.3, 0.2])
V = np.eye(3, 4, dtype=np.float32)


def resource(**kw):
    return resource_model(**{"frequencies": P, "eta_eff": 0.1, "n0": 1.0, "steps": 3, **kw})


def geometry(**kw):
    return train_geometry(**{"vectors": V, "frequencies": P, "steps": 3, "lr": 0.1, **kw})


@pytest.mark.parametrize("call,match", [
    (lambda: resource(frequencies=[0.5, np.nan, 0.2]), r"^frequencies must be finite and >= 0, got nan at index 1$"),
    (lambda: resource(frequencies=[0.5, -0.3, 0.2]), r"^frequencies must be finite and >= 0, got -0.3 at index 1$"),
    (lambda: resource(eta_eff=-0.1), r"^eta_eff must be finite and >= 0, got -0.1$"),
    (lambda: resource(eta_eff=np.inf), r"^eta_eff must be finite and >= 0, got inf$"),
    (lambda: resource(n0=np.nan), r"^n0 must be finite and >= 0, got nan$"),
    (lambda: resource(overlap=np.full((3, 3), np.nan)), r"^overlap must be finite, got nan at index \(0, 0\)$"),
    (lambda: resource(overlap=np.eye(2)), r"^overlap must be \(K, K\) or \(\.\.\., K, K\) with K = 3 tasks, got shape "
                                          r"\(2, 2\)$"),
    (lambda: resource(overlap=np.ones(3)), r"^overlap must be .* got shape \(3,\)$"),
    (lambda: geometry(frequencies=2 * P), r"^frequencies must sum to 1 over the tasks \(the last axis\), got the sum "
                                          r"2\.0$"),
    (lambda: geometry(frequencies=[0.5, np.nan, 0.5]), r"^frequencies must be finite and >= 0, got nan at index 1$"),
    (lambda: geometry(frequencies=[1.2, -0.2, 0.0]), r"^frequencies must be finite and >= 0, got -0.2 at index 1$"),
    (lambda: geometry(lr=np.inf), r"^lr must be finite, got inf$"),
    (lambda: geometry(lr=np.nan), r"^lr must be finite, got nan$"),
    (lambda: geometry(noise=np.nan), r"^noise must be finite and >= 0, got nan$"),
    (lambda: geometry(optimizer="adam", optimizer_options={"betas": (0.9, 1.5)}),
     r"^betas must lie in \[0, 1\), got \(0\.9, 1\.5\)$"),
    (lambda: geometry(batch_size=2.5), r"^batch_size must be a whole number >= 1, got 2\.5$"),
    (lambda: power_law_frequencies(2.7, 1), r"^n_tasks must be a whole number >= 1, got 2\.7$"),
    (lambda: power_law_frequencies(3, np.nan), r"^alpha must be finite and >= 0, got nan$"),
    (lambda: task_vectors("random_unit", 3, 2.5), r"^n_dim must be a whole number >= 1, got 2\.5$"),
])
def test_meaningless_input_is_refused_in_one_sentence(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_the_checks_let_meaningful_input_through():
    assert resource(overlap=np.eye(3)).skills.shape == (4, 3)
    still = resource(frequencies=[1.0, 0.0, 2.0], eta_eff=0.0).skills    # need not sum to 1; eta 0 stays put
    assert still.shape == (4, 3) and np.all(still == 0)
    assert geometry(batch_size=np.array([4, 8]), frequencies=np.stack([P, P])).loss.shape == (4, 2)   # t = 0 .. 3
    assert geometry(batch_size=4.0, gradient="batch").loss.shape == (4, 1)
    np.testing.assert_allclose(power_law_frequencies(np.int64(2), 0), [0.5, 0.5])
