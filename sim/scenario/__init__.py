"""Scenario files: validated models, loading, error messages and ``--set`` overrides."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.load import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
