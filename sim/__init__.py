"""pacing-sim: what will this campaign do to my agents and to the people we call, at each service level?

A discrete-event simulation of VoIPbin's outbound campaign engine (campaign loop, outplan
retries, outdial targets, queue and agents) in SimPy.

    >>> import sim
    >>> scn = sim.load_scenario("scenarios/default.yaml")      # doctest: +SKIP
    >>> result = sim.run(scn, service_levels=[100, 200], replications=5)  # doctest: +SKIP
    >>> result.summary                                          # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from sim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:  # pragma: no cover
    from sim.experiment import ExperimentResult, run
    from sim.policy_frontier import frontier

__version__ = "0.1.0"
ENGINE_VERSION = "voipbin-2bf22fa4e87d"
"""The VoIPbin snapshot whose behaviour the engine reproduces (docs/engine.md)."""

__all__ = ["ExperimentResult", "Scenario", "ScenarioError", "frontier", "load_scenario", "run", "__version__",
           "ENGINE_VERSION"]


def __getattr__(name: str):
    """``sim.run`` and ``sim.ExperimentResult`` load pandas and scipy only when first used, so
    ``pacing-sim validate`` starts fast."""
    if name in ("run", "ExperimentResult"):
        from sim import experiment

        return getattr(experiment, name)
    if name == "frontier":
        from sim.policy_frontier import frontier

        return frontier
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
