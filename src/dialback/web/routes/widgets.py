"""Admin CRUD of widgets (C4, C6, C7, C11, C12) and trunks (C5)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dialback.adapters.db.tables import CallbackRequest, Company, Department, Trunk, Widget
from dialback.bootstrap import new_key
from dialback.web.deps import AdminDep, CompanyDep, PathId, SessionDep
from dialback.web.errors import conflict, invalid, not_found
from dialback.web.schemas import Deleted, TrunkIn, TrunkOut, WidgetIn, WidgetOut

router = APIRouter(tags=["admin"])


# --- widgets ---------------------------------------------------------------------------


def _widget(session: Session, company: Company, widget_id: int) -> Widget:
    widget = session.get(Widget, widget_id)
    if widget is None or widget.company_id != company.id:
        raise not_found("widget", widget_id)
    return widget


def _apply_widget(session: Session, company: Company, widget: Widget, body: WidgetIn) -> None:
    if body.department_id is not None:
        department = session.get(Department, body.department_id)
        if department is None or department.company_id != company.id:
            raise invalid("department_id", f"no department {body.department_id} in this company")
    widget.name = body.name
    widget.department_id = body.department_id
    widget.recall = body.recall.model_dump()
    widget.ivr_confirm = body.ivr_confirm
    widget.leave_message = body.leave_message
    widget.caller_id_substitution = body.caller_id_substitution
    widget.promise_seconds = body.promise_seconds
    widget.allowed_origins = list(body.allowed_origins)
    widget.allowed_regions = list(body.allowed_regions)
    widget.limits = dict(body.limits)
    widget.enabled = body.enabled


@router.get("/widgets", response_model=list[WidgetOut])
def list_widgets(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[WidgetOut]:
    rows = session.scalars(
        select(Widget).where(Widget.company_id == company.id).order_by(Widget.id)
    )
    return [WidgetOut.model_validate(w) for w in rows]


@router.post("/widgets", response_model=WidgetOut, status_code=201)
def create_widget(
    body: WidgetIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> WidgetOut:
    """Create a widget; its ``public_key`` goes into the site's embed code."""
    widget = Widget(company_id=company.id, public_key=new_key("wk"))
    _apply_widget(session, company, widget, body)
    session.add(widget)
    session.commit()
    return WidgetOut.model_validate(widget)


@router.get("/widgets/{widget_id}", response_model=WidgetOut)
def get_widget(
    widget_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> WidgetOut:
    return WidgetOut.model_validate(_widget(session, company, widget_id))


@router.put("/widgets/{widget_id}", response_model=WidgetOut)
def put_widget(
    widget_id: PathId, body: WidgetIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> WidgetOut:
    widget = _widget(session, company, widget_id)
    _apply_widget(session, company, widget, body)
    session.commit()
    return WidgetOut.model_validate(widget)


@router.delete("/widgets/{widget_id}", response_model=Deleted)
def delete_widget(
    widget_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> Deleted:
    widget = _widget(session, company, widget_id)
    requests = int(
        session.scalar(
            select(func.count(CallbackRequest.id)).where(CallbackRequest.widget_id == widget_id)
        )
        or 0
    )
    if requests:
        # Its requests keep their history; the key stops working (403).
        widget.enabled = False
        session.commit()
        return Deleted(
            id=widget_id,
            deleted=False,
            detail=f"widget {widget_id} has {requests} callback requests; disabled instead",
        )
    session.delete(widget)
    session.commit()
    return Deleted(id=widget_id, deleted=True, detail=f"widget {widget_id} deleted")


# --- trunks -------------------------------------------------------------------------------


def _trunk(session: Session, company: Company, trunk_id: int) -> Trunk:
    trunk = session.get(Trunk, trunk_id)
    if trunk is None or trunk.company_id != company.id:
        raise not_found("trunk", trunk_id)
    return trunk


def _apply_trunk(session: Session, company: Company, trunk: Trunk, body: TrunkIn) -> None:
    query = select(Trunk.id).where(Trunk.company_id == company.id, Trunk.name == body.name)
    if trunk.id is not None:  # an update may keep its own name
        query = query.where(Trunk.id != trunk.id)
    clash = session.scalar(query)
    if clash is not None:
        raise conflict(f"name: trunk {clash} is already called {body.name!r}")
    trunk.name = body.name
    trunk.priority = body.priority
    trunk.enabled = body.enabled
    trunk.settings = dict(body.settings)


@router.get("/trunks", response_model=list[TrunkOut])
def list_trunks(_: AdminDep, company: CompanyDep, session: SessionDep) -> list[TrunkOut]:
    rows = session.scalars(
        select(Trunk).where(Trunk.company_id == company.id).order_by(Trunk.priority, Trunk.id)
    )
    return [TrunkOut.model_validate(t) for t in rows]


@router.post("/trunks", response_model=TrunkOut, status_code=201)
def create_trunk(body: TrunkIn, _: AdminDep, company: CompanyDep, session: SessionDep) -> TrunkOut:
    trunk = Trunk(company_id=company.id)
    _apply_trunk(session, company, trunk, body)
    session.add(trunk)
    session.commit()
    return TrunkOut.model_validate(trunk)


@router.get("/trunks/{trunk_id}", response_model=TrunkOut)
def get_trunk(trunk_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep) -> TrunkOut:
    return TrunkOut.model_validate(_trunk(session, company, trunk_id))


@router.put("/trunks/{trunk_id}", response_model=TrunkOut)
def put_trunk(
    trunk_id: PathId, body: TrunkIn, _: AdminDep, company: CompanyDep, session: SessionDep
) -> TrunkOut:
    trunk = _trunk(session, company, trunk_id)
    _apply_trunk(session, company, trunk, body)
    session.commit()
    return TrunkOut.model_validate(trunk)


@router.delete("/trunks/{trunk_id}", response_model=Deleted)
def delete_trunk(
    trunk_id: PathId, _: AdminDep, company: CompanyDep, session: SessionDep
) -> Deleted:
    # Attempts name their trunk as text, so the call history survives the delete.
    session.delete(_trunk(session, company, trunk_id))
    session.commit()
    return Deleted(id=trunk_id, deleted=True, detail=f"trunk {trunk_id} deleted")
