"""VoIPbin's campaign engine as SimPy processes: campaign loop, outdial, queue, agents, calls."""

from sim.engine.simulation import Simulation, simulate

__all__ = ["Simulation", "simulate"]
