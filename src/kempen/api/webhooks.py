"""Outbound webhook routes: endpoints (a workspace setting, Admin only) and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from kempen.audit import service as audit
from kempen.http.deps import Admin, IdPath, SessionDep
from kempen.kit.pagination import MAX_PAGE
from kempen.webhooks import schemas, service

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
EndpointId = IdPath


@router.get("", response_model=list[schemas.WebhookEndpoint])
def list_webhooks(session: SessionDep, principal: Admin) -> Any:
    return service.list_endpoints(session, workspace_id=principal.workspace_id)


@router.post("", response_model=schemas.WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(session: SessionDep, principal: Admin, data: schemas.WebhookCreate) -> schemas.WebhookCreated:
    """Register an https:// endpoint; the response carries its signing secret, shown this once."""
    endpoint, secret = service.create_endpoint(session, workspace_id=principal.workspace_id, url=data.url,
                                               description=data.description, event_types=data.event_types)
    audit.record(session, workspace_id=principal.workspace_id, actor=principal.actor, action="webhook.created",
                 entity_type="webhook", entity_id=endpoint.id,
                 details={"url": endpoint.url, "event_types": endpoint.event_types})
    return schemas.WebhookCreated(**schemas.WebhookEndpoint.model_validate(endpoint).model_dump(), secret=secret)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(session: SessionDep, principal: Admin, endpoint_id: EndpointId) -> None:
    """Delete an endpoint with its delivery log; pending deliveries are dropped."""
    endpoint = service.delete_endpoint(session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id)
    audit.record(session, workspace_id=principal.workspace_id, actor=principal.actor, action="webhook.deleted",
                 entity_type="webhook", entity_id=endpoint_id, details={"url": endpoint.url})


@router.get("/{endpoint_id}/deliveries", response_model=schemas.DeliveryPage)
def list_deliveries(
    session: SessionDep, principal: Admin, endpoint_id: EndpointId, cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> schemas.DeliveryPage:
    """An endpoint's deliveries, newest first, with status, attempts and the last error."""
    items, next_cursor = service.list_deliveries(session, workspace_id=principal.workspace_id,
                                                 endpoint_id=endpoint_id, cursor=cursor, limit=limit)
    return schemas.DeliveryPage(items=[schemas.WebhookDelivery.model_validate(d) for d in items],
                                next_cursor=next_cursor)
