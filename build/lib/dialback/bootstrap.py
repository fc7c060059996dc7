"""The composition root: builds Dialback from settings (STYLE habit 6)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine as DbEngine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db.migrate import upgrade
from dialback.adapters.db.session import make_engine, make_session_factory
from dialback.adapters.db.tables import ApiKey, Company, Trunk
from dialback.adapters.simnet import Population, SimulatedNetwork, Subscriber, TrunkBehaviour
from dialback.adapters.simnet.scripted import load_population_file
from dialback.adapters.sip.trunks import TrunkConfig
from dialback.config import Settings
from dialback.ports import Clock, Telephony
from dialback.services.attempts import CallbackWorker
from dialback.services.bus import MessageBus
from dialback.services.engine import Engine
from dialback.services.flow import FlowTimers

log = logging.getLogger(__name__)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


@dataclass
class Container:
    """Everything a running Dialback process is made of."""

    settings: Settings
    db: DbEngine
    sessions: sessionmaker[Session]
    clock: Clock
    bus: MessageBus
    telephony: Telephony
    worker: CallbackWorker
    engine: Engine
    extras: dict[str, object] = field(default_factory=dict)


def build(
    settings: Settings,
    *,
    clock: Clock,
    telephony: Telephony | None = None,
    poll_seconds: float | None = None,
    timers: FlowTimers | None = None,
) -> Container:
    """Wire the process. Call from inside the event loop that will run it."""
    db = make_engine(settings.database_url)
    upgrade(db)
    sessions = make_session_factory(db)
    bus = MessageBus()
    if telephony is None:
        if settings.telephony == "sip":
            telephony = build_sip(settings, sessions, clock=clock)
        else:
            telephony = build_simnet(settings, clock=clock)
    worker = CallbackWorker(
        sessions=sessions,
        telephony=telephony,
        clock=clock,
        bus=bus,
        timers=timers,
        recordings_dir=settings.recordings_dir,
    )
    engine = Engine(
        sessions=sessions,
        worker=worker,
        clock=clock,
        node_id=settings.node_id,
        lease=timedelta(seconds=settings.lease_seconds),
        poll_seconds=settings.poll_seconds if poll_seconds is None else poll_seconds,
        max_concurrent=settings.max_concurrent_attempts,
    )
    if settings.admin_key:
        ensure_admin_key(sessions, settings.admin_key, now=clock.now())
    return Container(
        settings=settings,
        db=db,
        sessions=sessions,
        clock=clock,
        bus=bus,
        telephony=telephony,
        worker=worker,
        engine=engine,
    )


def build_simnet(settings: Settings, *, clock: Clock) -> SimulatedNetwork:
    subscribers: dict[str, Subscriber] = {}
    trunks = {"default": TrunkBehaviour(name="default")}
    if settings.sim_population:
        subscribers, scripted_trunks = load_population_file(settings.sim_population)
        trunks.update(scripted_trunks)
    return SimulatedNetwork(
        Population(settings.sim_seed, subscribers),
        clock=clock,
        trunks=trunks,
        seed=settings.sim_seed,
        call_log_path=settings.sim_call_log,
    )


def build_sip(settings: Settings, sessions: sessionmaker[Session], *, clock: Clock) -> Telephony:
    """The SIP pool; trunks are read from the database by name when dialed."""
    from dialback.adapters.sip.pool import PoolSettings, SipTelephony
    from dialback.adapters.sip.trunks import TrunkError, trunk_from_settings
    from dialback.services.inbound import InboundDesk

    def trunk(name: str) -> TrunkConfig:
        with sessions() as s:
            row = s.scalar(select(Trunk).where(Trunk.name == name, Trunk.enabled.is_(True)))
        if row is None:
            raise TrunkError(f"no enabled trunk named {name!r}")
        return trunk_from_settings(row.name, row.settings)

    desk = InboundDesk(sessions=sessions, clock=clock)
    return SipTelephony(
        on_incoming=desk.handle,
        settings=PoolSettings(
            workers=settings.sip_workers,
            interface=settings.sip_interface,
            first_sip_port=settings.sip_first_port,
            rtp_ports=(settings.sip_rtp_first, settings.sip_rtp_last),
            prompts_dir=settings.prompts_dir,
        ),
        trunks=trunk,
    )


async def start_telephony(container: Container) -> None:
    """Start adapters that run processes of their own (the SIP pool), and
    REGISTER the trunks that want it (the stack refreshes them itself)."""
    from dialback.adapters.sip.pool import SipTelephony
    from dialback.adapters.sip.trunks import TrunkError, trunk_from_settings

    tel = container.telephony
    if not isinstance(tel, SipTelephony):
        return
    await tel.start()
    with container.sessions() as s:
        rows = [(t.name, dict(t.settings)) for t in s.scalars(select(Trunk)) if t.enabled]
    for name, raw in rows:
        if not raw.get("register"):
            continue
        try:
            trunk = trunk_from_settings(name, raw)
        except TrunkError as exc:
            log.error("trunk %s not registered: %s", name, exc)
            continue
        ok, code, reason = await tel.register(trunk)
        if ok:
            log.info("trunk %s registered", name)
        else:
            log.error("trunk %s registration failed: %s %s", name, code, reason)


async def stop_telephony(container: Container) -> None:
    from dialback.adapters.sip.pool import SipTelephony

    if isinstance(container.telephony, SipTelephony):
        await container.telephony.close()


def ensure_admin_key(sessions: sessionmaker[Session], key: str, *, now: datetime) -> None:
    """Store ``key`` as an admin key of the first company (created if none)."""
    with sessions() as s:
        digest = hash_key(key)
        if s.scalar(select(ApiKey).where(ApiKey.key_hash == digest)) is not None:
            return
        company = s.scalar(select(Company).order_by(Company.id))
        if company is None:
            company = Company(name="My company", created_at=now)
            s.add(company)
            s.flush()
        s.add(ApiKey(company_id=company.id, name="bootstrap", key_hash=digest, created_at=now))
        s.commit()
