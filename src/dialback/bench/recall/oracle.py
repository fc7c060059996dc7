"""The oracle: the best any policy could do, read from the hidden truth (issue 5).

For each valid request, the earliest moment inside calling hours, within the
follow-up window, at which a trunk works, some manager would answer and the
client would answer; the connection follows after both answer delays. The
oracle never holds a manager on its own calls and may pick any trunk and
never substitutes the caller ID (C6), so every condition it needs is a
condition a real attempt needs too: no policy can connect earlier.
"""

from __future__ import annotations

import math

from dialback.bench.recall.world import MINUTE, Client, SpellState, World


def _connect_in_minute(world: World, client: Client, minute: int, earliest: float) -> float | None:
    """When an attempt placed at ``earliest`` (inside ``minute``) would connect, if it would."""
    if not world.client_would_answer(client, minute):
        return None
    if not any(world.trunk_ok(k, minute) for k in range(len(world.trunk_failure))):
        return None
    manager, _ = world.first_manager(minute, earliest, None)
    if manager is None:
        return None
    return earliest + world.manager_delay(manager, minute) + world.client_delay(client, minute)


def _candidate_minutes(world: World, client: Client) -> list[tuple[int, float]]:
    """(minute, earliest moment in it) where the phone is at hand and calls are allowed."""
    until = client.arrival + world.follow_s
    out: list[tuple[int, float]] = []
    for s, e in world.open_intervals(client.arrival, until):
        first, last = int(s // MINUTE), math.ceil(e / MINUTE)
        for minute in range(first, last):
            if world.state(client, minute)[0] is SpellState.AT_HAND:
                out.append((minute, max(s, minute * MINUTE)))
    return out


def oracle_connect_seconds(world: World, client: Client) -> float | None:
    """Seconds from the request to the earliest possible connection; None if there is none."""
    if client.invalid:
        return None
    candidates = _candidate_minutes(world, client)
    for k, (minute, earliest) in enumerate(candidates):
        at = _connect_in_minute(world, client, minute, earliest)
        if at is None:
            continue
        # Answer delays are under a minute: the next minute may still connect
        # sooner (a slow answer now vs a quick one at the start of the next).
        if k + 1 < len(candidates) and candidates[k + 1][0] == minute + 1:
            nxt = _connect_in_minute(world, client, minute + 1, candidates[k + 1][1])
            if nxt is not None:
                at = min(at, nxt)
        return at - client.arrival
    return None
