"""Simulated telephone network with hidden ground truth (SPEC X3)."""

from dialback.adapters.simnet.network import SimCall, SimLeg, SimulatedNetwork
from dialback.adapters.simnet.population import (
    Population,
    Reaction,
    ReactionKind,
    Subscriber,
    TrunkBehaviour,
    draw_reaction,
    generate_client,
    generate_manager,
)

__all__ = [
    "Population",
    "Reaction",
    "ReactionKind",
    "SimCall",
    "SimLeg",
    "SimulatedNetwork",
    "Subscriber",
    "TrunkBehaviour",
    "draw_reaction",
    "generate_client",
    "generate_manager",
]
