"""The recall benchmark's hidden truth: who would answer, when (issue 5).

Everything a policy could run into is fixed per seed before any policy runs,
from world-only random streams:

- per client, pre-drawn with its own ``random.Random``: invalid number,
  voicemail box, carrier blocking of substituted caller IDs (C6), a Beta base
  availability shaped by an hour-of-day curve, a timeline of *spells* (phone
  at hand / away / switched off) with a willingness draw per spell, the
  client's own calls (busy spells), and maybe a competitor's call-back after
  which the client is less willing (speed to lead);
- per manager: answer probability and busy spells (their other calls);
- per trunk: outages (C5);
- everything decided per minute (a missed call, a decline, who answers first,
  answer delays, a trunk's random failure) comes from counter-based draws
  (``crn.unit``) keyed by (seed, who, minute).

So the answer to "what happens if this client is called at t" depends only on
the seed, the client and the minute of t — plus which managers are still on a
call the policy itself connected, which only ever takes answers away. Time is
in POSIX seconds (floats); minutes are ``int(t // 60)``.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from dialback.bench.recall import crn
from dialback.bench.recall.scenario import Scenario
from dialback.domain.outcomes import Outcome

MINUTE = 60.0

# How long an attempt lasts, by what ended it (seconds): the policy is asked
# for the next attempt only when the call is over.
MANAGER_RING_TIMEOUT_S = 30.0
CLIENT_RING_TIMEOUT_S = 30.0
CARRIER_ERROR_S = 1.0
VOICEMAIL_S = 25.0  # rings ~20 s, then the greeting is recognised (V1)
REJECT_S = 8.0
BUSY_S = 2.0
UNAVAILABLE_S = 3.0
INVALID_S = 1.0
BLOCKED_S = 1.0


class SpellState(IntEnum):
    AT_HAND = 0  # the phone is with the client: answers if willing
    AWAY = 1  # rings unanswered
    OFF = 2  # switched off / out of coverage: 480, or straight to voicemail


@dataclass(frozen=True)
class Client:
    """One callback request's person. Hidden: the policy never sees this."""

    index: int
    arrival: float
    invalid: bool
    voicemail: bool
    blocks_substituted_cid: bool
    decline: float
    spell_starts: tuple[int, ...]  # minutes
    spell_states: tuple[SpellState, ...]
    spell_willingness: tuple[float, ...]  # answers while interest(t) > this
    busy_starts: tuple[int, ...]  # minutes, sorted, non-overlapping
    busy_ends: tuple[int, ...]
    competitor_done: int | None  # minute after which interest is cut
    talk_s: float


@dataclass(frozen=True)
class Manager:
    index: int
    answer_prob: float
    busy_starts: tuple[int, ...]
    busy_ends: tuple[int, ...]


@dataclass(frozen=True)
class CallResult:
    """What one attempt observably did (and, if connected, when and with whom)."""

    ended_at: float
    manager_outcome: Outcome
    client_outcome: Outcome | None
    caller_id_blocked: bool = False
    connected_at: float | None = None
    manager: int | None = None


def _in_spells(starts: tuple[int, ...], ends: tuple[int, ...], minute: int) -> bool:
    i = bisect_right(starts, minute) - 1
    return i >= 0 and minute < ends[i]


def _spells(
    rng: random.Random, start: int, end: int, per_hour: float, median_minutes: float
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Poisson-started spells with lognormal lengths, whole minutes, merged when they touch."""
    starts: list[int] = []
    ends: list[int] = []
    if per_hour <= 0:
        return (), ()
    t = float(start)
    while True:
        t += rng.expovariate(per_hour / 60.0)
        if t >= end:
            break
        length = max(1, round(rng.lognormvariate(math.log(median_minutes), 0.6)))
        s = int(t)
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], s + length)
        else:
            starts.append(s)
            ends.append(s + length)
    return tuple(starts), tuple(ends)


class World:
    """One seed's hidden truth under one scenario."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.key = crn.seed_key(seed, "recall-world")
        self.calendar = scenario.calendar
        self.zone = scenario.calendar.zone
        arrivals = scenario.arrivals
        self.follow_s = arrivals.follow_hours * 3600.0
        first_day = datetime.combine(arrivals.start, datetime.min.time(), tzinfo=self.zone)
        self.start = first_day.timestamp()
        last_arrival_day = first_day + timedelta(days=arrivals.days)
        self.end = (last_arrival_day + timedelta(hours=arrivals.follow_hours + 24)).timestamp()
        self._open_starts, self._open_ends = self._open_intervals()
        self._curve_cache: dict[int, int] = {}
        arrival_times = self._arrivals(random.Random(f"{seed}|recall|arrivals"), last_arrival_day)
        self.clients = tuple(
            self._client(i, at, random.Random(f"{seed}|recall|client|{i}"))
            for i, at in enumerate(arrival_times)
        )
        mrng = random.Random(f"{seed}|recall|managers")
        self.managers = tuple(self._manager(j, mrng) for j in range(scenario.managers.count))
        trng = random.Random(f"{seed}|recall|trunks")
        self.trunk_outages = tuple(
            self._outages(trng, per_week) for per_week in scenario.trunks.outages_per_week
        )
        self.trunk_failure = scenario.trunks.failure_prob

    # -- calendar ---------------------------------------------------------------

    def _open_intervals(self) -> tuple[list[float], list[float]]:
        starts: list[float] = []
        ends: list[float] = []
        at = datetime.fromtimestamp(self.start, UTC)
        while at.timestamp() < self.end:
            opening = self.calendar.next_open(at)
            closing = self.calendar.closes_at(opening)
            assert closing is not None
            starts.append(opening.timestamp())
            ends.append(closing.timestamp())
            at = closing
        return starts, ends

    def is_open(self, t: float) -> bool:
        """Inside calling hours (the company's business hours)."""
        i = bisect_right(self._open_starts, t) - 1
        return i >= 0 and t < self._open_ends[i]

    def open_intervals(self, since: float, until: float) -> list[tuple[float, float]]:
        i = max(0, bisect_right(self._open_starts, since) - 1)
        out = []
        while i < len(self._open_starts) and self._open_starts[i] < until:
            s, e = max(self._open_starts[i], since), min(self._open_ends[i], until)
            if s < e:
                out.append((s, e))
            i += 1
        return out

    def _local_hour(self, minute: int) -> int:
        hour_key = minute // 60
        hour = self._curve_cache.get(hour_key)
        if hour is None:
            hour = datetime.fromtimestamp(hour_key * 3600.0, self.zone).hour
            self._curve_cache[hour_key] = hour
        return hour

    # -- generation -------------------------------------------------------------

    def _arrivals(self, rng: random.Random, last_day: datetime) -> list[float]:
        """A Poisson stream while the company is open, over the arrival days."""
        rate = self.scenario.arrivals.requests_per_hour / 3600.0
        times: list[float] = []
        for s, e in self.open_intervals(self.start, last_day.timestamp()):
            t = s + rng.expovariate(rate)
            while t < e:
                times.append(t)
                t += rng.expovariate(rate)
        return times

    def _client(self, index: int, arrival: float, rng: random.Random) -> Client:
        c = self.scenario.clients
        invalid = rng.random() < c.invalid_share
        voicemail = rng.random() < c.voicemail_share
        blocks = rng.random() < c.blocks_substituted_cid_share
        decline = rng.uniform(*c.decline_share)
        base = rng.betavariate(*c.availability_beta)
        curve = [h * rng.uniform(1 - c.hour_jitter, 1 + c.hour_jitter) for h in c.hour_curve]
        first = int(arrival // MINUTE)
        last = first + int(self.follow_s // MINUTE) + 1
        starts: list[int] = []
        states: list[SpellState] = []
        willing: list[float] = []
        # Willingness mixes a personal trait (some people never pick up unknown
        # numbers) with the mood of the moment (fresh per spell).
        persistence = c.willingness_persistence
        personal = rng.random()
        m = first
        while m < last:
            p = min(0.98, base * curve[self._local_hour(m)])
            if rng.random() < p:
                state = SpellState.AT_HAND
            else:
                state = SpellState.OFF if rng.random() < c.off_share else SpellState.AWAY
            starts.append(m)
            states.append(state)
            willing.append(persistence * personal + (1 - persistence) * rng.random())
            m += max(1, round(rng.gammavariate(c.spell_shape, c.spell_minutes / c.spell_shape)))
        busy_starts, busy_ends = _spells(
            rng, first, last, rng.uniform(*c.busy_per_hour), c.busy_minutes
        )
        # People make calls when the phone is at hand: a busy line means the
        # client is in a stretch of time when they can be reached.
        kept = [
            (b, e)
            for b, e in zip(busy_starts, busy_ends, strict=True)
            if states[bisect_right(starts, b) - 1] is SpellState.AT_HAND
        ]
        busy_starts = tuple(b for b, _ in kept)
        busy_ends = tuple(e for _, e in kept)
        competitor_done = None
        if rng.random() < c.competitor_share:
            s = first + max(1, round(rng.expovariate(1.0 / c.competitor_after_minutes)))
            length = max(1, round(rng.lognormvariate(math.log(c.competitor_minutes), 0.5)))
            busy_starts, busy_ends = _add_spell(busy_starts, busy_ends, s, s + length)
            competitor_done = s + length
        talk_s = 60.0 * rng.lognormvariate(math.log(self.scenario.managers.talk_minutes), 0.5)
        return Client(
            index=index,
            arrival=arrival,
            invalid=invalid,
            voicemail=voicemail,
            blocks_substituted_cid=blocks,
            decline=decline,
            spell_starts=tuple(starts),
            spell_states=tuple(states),
            spell_willingness=tuple(willing),
            busy_starts=busy_starts,
            busy_ends=busy_ends,
            competitor_done=competitor_done,
            talk_s=talk_s,
        )

    def _manager(self, index: int, rng: random.Random) -> Manager:
        m = self.scenario.managers
        first, last = int(self.start // MINUTE), int(self.end // MINUTE)
        starts, ends = _spells(rng, first, last, rng.uniform(*m.busy_per_hour), m.busy_minutes)
        return Manager(index, rng.uniform(*m.answer_prob), starts, ends)

    def _outages(
        self, rng: random.Random, per_week: float
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        lo, hi = self.scenario.trunks.outage_minutes
        starts: list[int] = []
        ends: list[int] = []
        if per_week <= 0:
            return (), ()
        t = self.start / MINUTE
        while True:
            t += rng.expovariate(per_week / (7 * 24 * 60.0))
            if t >= self.end / MINUTE:
                return tuple(starts), tuple(ends)
            s = int(t)
            e = s + max(1, round(rng.uniform(lo, hi)))
            if ends and s <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)

    # -- truth per minute ---------------------------------------------------------

    def interest(self, client: Client, minute: int) -> float:
        """Speed to lead: willingness decays from 1 towards the floor after the request."""
        c = self.scenario.clients
        since = max(0.0, minute * MINUTE - client.arrival)
        decay = math.exp(-math.log(2.0) * since / (60.0 * c.interest_half_life_minutes))
        value = c.interest_floor + (1 - c.interest_floor) * decay
        if client.competitor_done is not None and minute >= client.competitor_done:
            value *= c.competitor_interest
        return value

    def spell(self, client: Client, minute: int) -> int:
        return max(0, bisect_right(client.spell_starts, minute) - 1)

    def client_busy(self, client: Client, minute: int) -> bool:
        return _in_spells(client.busy_starts, client.busy_ends, minute)

    def state(self, client: Client, minute: int) -> tuple[SpellState, float]:
        """Where the client's phone is in ``minute``, and the spell's willingness draw."""
        i = self.spell(client, minute)
        return client.spell_states[i], client.spell_willingness[i]

    def client_would_answer(self, client: Client, minute: int) -> bool:
        if client.invalid:
            return False
        state, willingness = self.state(client, minute)
        return (
            state is SpellState.AT_HAND
            and not self.client_busy(client, minute)
            and willingness < self.interest(client, minute)
            and crn.unit(self.key, crn.MISS, client.index, minute)
            >= self.scenario.clients.miss_share
        )

    def client_delay(self, client: Client, minute: int) -> float:
        return 3.0 + 12.0 * crn.unit(self.key, crn.CLIENT_DELAY, client.index, minute)

    def trunk_ok(self, trunk: int, minute: int) -> bool:
        starts, ends = self.trunk_outages[trunk]
        if starts and _in_spells(starts, ends, minute):
            return False
        return crn.unit(self.key, crn.TRUNK, trunk, minute) >= self.trunk_failure[trunk]

    def manager_free(self, manager: Manager, minute: int) -> bool:
        return not _in_spells(manager.busy_starts, manager.busy_ends, minute)

    def manager_answers(self, manager: Manager, minute: int) -> bool:
        return crn.unit(self.key, crn.MANAGER_ANSWER, manager.index, minute) < manager.answer_prob

    def manager_delay(self, manager: Manager, minute: int) -> float:
        return 2.0 + 6.0 * crn.unit(self.key, crn.MANAGER_DELAY, manager.index, minute)

    def first_manager(
        self, minute: int, at: float, on_our_calls: list[float] | None = None
    ) -> tuple[Manager | None, bool]:
        """Ring every manager at once (C3): the quickest to answer, and whether any was free.

        ``on_our_calls[j]`` is when manager j ends a call this policy connected;
        the oracle passes None (it never holds a manager).
        """
        best: Manager | None = None
        best_delay = math.inf
        any_free = False
        for m in self.managers:
            if on_our_calls is not None and on_our_calls[m.index] > at:
                continue
            if not self.manager_free(m, minute):
                continue
            any_free = True
            if self.manager_answers(m, minute):
                d = self.manager_delay(m, minute)
                if d < best_delay:
                    best, best_delay = m, d
        return best, any_free

    # -- one attempt --------------------------------------------------------------

    def call(
        self,
        client: Client,
        at: float,
        *,
        trunk: int,
        substitute_caller_id: bool,
        on_our_calls: list[float],
    ) -> CallResult:
        """Place one manager-first attempt (C2) at ``at``; what the product would observe."""
        minute = int(at // MINUTE)
        if not self.trunk_ok(trunk, minute):
            return CallResult(at + CARRIER_ERROR_S, Outcome.CARRIER_ERROR, None)
        manager, any_free = self.first_manager(minute, at, on_our_calls)
        if manager is None:
            if not any_free:
                return CallResult(at + BUSY_S, Outcome.BUSY, None)
            return CallResult(at + MANAGER_RING_TIMEOUT_S, Outcome.NO_ANSWER, None)
        dialed = at + self.manager_delay(manager, minute)
        human = Outcome.ANSWERED_HUMAN
        if client.invalid:
            return CallResult(dialed + INVALID_S, human, Outcome.INVALID_NUMBER)
        if substitute_caller_id and client.blocks_substituted_cid:
            # C6: refused before ringing because of the substituted caller ID.
            return CallResult(dialed + BLOCKED_S, human, Outcome.REJECTED, caller_id_blocked=True)
        if self.client_busy(client, minute):
            return CallResult(dialed + BUSY_S, human, Outcome.BUSY)
        if self.client_would_answer(client, minute):
            connected = dialed + self.client_delay(client, minute)
            return CallResult(
                connected + client.talk_s,
                human,
                human,
                connected_at=connected,
                manager=manager.index,
            )
        machine = Outcome.ANSWERED_MACHINE
        state, willingness = self.state(client, minute)
        if state is SpellState.OFF:
            if client.voicemail:
                return CallResult(dialed + VOICEMAIL_S - 15.0, human, machine)
            return CallResult(dialed + UNAVAILABLE_S, human, Outcome.UNAVAILABLE)
        unwilling = state is SpellState.AT_HAND and willingness >= self.interest(client, minute)
        if unwilling and crn.unit(self.key, crn.DECLINE, client.index, minute) < client.decline:
            if client.voicemail:
                return CallResult(dialed + REJECT_S + 10.0, human, machine)
            return CallResult(dialed + REJECT_S, human, Outcome.REJECTED)
        if client.voicemail:
            return CallResult(dialed + VOICEMAIL_S, human, machine)
        return CallResult(dialed + CLIENT_RING_TIMEOUT_S, human, Outcome.NO_ANSWER)


def _add_spell(
    starts: tuple[int, ...], ends: tuple[int, ...], s: int, e: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Insert [s, e) into sorted spells, merging overlaps."""
    pairs = sorted([*zip(starts, ends, strict=True), (s, e)])
    out: list[list[int]] = []
    for a, b in pairs:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple(p[0] for p in out), tuple(p[1] for p in out)
