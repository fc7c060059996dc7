"""Admin: the block list (C11) and API keys (X1)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from dialback.adapters.db.tables import ApiKey, BlockEntry
from dialback.bootstrap import hash_key, new_key
from dialback.services.phones import InvalidPhone, parse_phone
from dialback.web.deps import AdminDep, CompanyDep, ContainerDep, PathId, SessionDep
from dialback.web.errors import conflict, invalid, not_found
from dialback.web.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    BlockIn,
    BlockOut,
    Deleted,
    ip_address,
)

router = APIRouter(tags=["admin"])


# --- block list (C11) ---------------------------------------------------------------------


@router.get("/blocklist", response_model=list[BlockOut])
def list_blocked(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[BlockOut]:
    rows = session.scalars(
        select(BlockEntry).where(BlockEntry.company_id == company.id).order_by(BlockEntry.id)
    )
    return [BlockOut.model_validate(b) for b in rows]


@router.post("/blocklist", response_model=BlockOut, status_code=201)
def block(
    body: BlockIn,
    _: AdminDep,
    company: CompanyDep,
    session: SessionDep,
    container: ContainerDep,
) -> BlockOut:
    """Block a number (stored in E.164, as orders are) or a visitor IP address."""
    try:
        if body.kind == "phone":
            value = parse_phone(body.value, region=company.default_region)
        else:
            value = ip_address(body.value)
    except (InvalidPhone, ValueError) as exc:
        raise invalid("value", str(exc)) from exc
    existing = session.scalar(
        select(BlockEntry.id).where(
            BlockEntry.company_id == company.id,
            BlockEntry.kind == body.kind,
            BlockEntry.value == value,
        )
    )
    if existing is not None:
        raise conflict(
            f"value: {body.kind} {value} is already on the block list (entry {existing})"
        )
    entry = BlockEntry(
        company_id=company.id,
        kind=body.kind,
        value=value,
        reason=body.reason,
        created_at=container.clock.now(),
    )
    session.add(entry)
    session.commit()
    return BlockOut.model_validate(entry)


@router.delete("/blocklist/{entry_id}", response_model=Deleted)
def unblock(entry_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep) -> Deleted:
    entry = session.get(BlockEntry, entry_id)
    if entry is None or entry.company_id != company.id:
        raise not_found("block list entry", entry_id)
    session.delete(entry)
    session.commit()
    return Deleted(id=entry_id, deleted=True, detail=f"{entry.kind} {entry.value} unblocked")


# --- API keys (X1) ----------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_keys(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[ApiKeyOut]:
    rows = session.scalars(
        select(ApiKey).where(ApiKey.company_id == company.id).order_by(ApiKey.id)
    )
    return [ApiKeyOut.model_validate(k) for k in rows]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_key(
    body: ApiKeyIn,
    _: AdminDep,
    company: CompanyDep,
    session: SessionDep,
    container: ContainerDep,
) -> ApiKeyCreated:
    """A new admin key. The key is shown in this answer only; just its sha256 is stored."""
    key = new_key("ak")
    row = ApiKey(
        company_id=company.id,
        name=body.name,
        key_hash=hash_key(key),
        role="admin",
        created_at=container.clock.now(),
    )
    session.add(row)
    session.commit()
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(row).model_dump(), "key": key})


@router.delete("/api-keys/{key_id}", response_model=Deleted)
def revoke_key(key_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep) -> Deleted:
    row = session.get(ApiKey, key_id)
    if row is None or row.company_id != company.id:
        raise not_found("API key", key_id)
    if not row.revoked:
        active = session.scalar(
            select(func.count(ApiKey.id)).where(
                ApiKey.company_id == company.id, ApiKey.revoked.is_(False)
            )
        )
        if (active or 0) <= 1:
            raise conflict(
                f"API key {key_id} is the company's last active key; create another first"
            )
        row.revoked = True
        session.commit()
    return Deleted(id=key_id, deleted=True, detail=f"API key {key_id} revoked")
