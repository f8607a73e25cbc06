"""ORM tables, one module per aggregate. Importing this package registers every table."""

from kempen.models.accounts import ApiKey, Membership, Role, User, Workspace
from kempen.models.audit import (
    AuditEntry,
    ImportRun,
    ImportStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
)
from kempen.models.base import Base
from kempen.models.brand import *  # noqa: F403  (brand kit, sender identities, content blocks)
from kempen.models.budgeting import *  # noqa: F403  (budgets per channel and month)
from kempen.models.campaigns import (
    ALLOWED_TRANSITIONS,
    EDITABLE_STATUSES,
    SENDING_STATUSES,
    BatchStatus,
    Campaign,
    CampaignHoldoutMember,
    CampaignMessage,
    CampaignStatus,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
    MessageVariant,
    SinkMessage,
    WorkspaceSendSettings,
)
from kempen.models.commerce import Event, Order, OrderItem, OrderStatus
from kempen.models.contacts import (
    Channel,
    Company,
    Consent,
    ConsentStatus,
    Contact,
    ContactList,
    ContactTag,
    CustomFieldDefinition,
    CustomFieldType,
    LifecycleStage,
    ListMembership,
    Suppression,
    SuppressionReason,
    Tag,
)
from kempen.models.planning import *  # noqa: F403  (objectives, programmes)
from kempen.models.segments import (
    ContactMetrics,
    LeadScoreRule,
    Segment,
    SegmentSnapshot,
    SegmentSnapshotMember,
)
from kempen.models.teamwork import *  # noqa: F403  (tasks, comments, mentions, notifications)
from kempen.models.tracking import (
    AttributionPathImport,
    BounceType,
    CampaignBudget,
    CampaignSpend,
    Conversion,
    Topic,
    TopicSubscription,
    TouchKind,
    TrackingEvent,
    WorkspaceTrackingSettings,
    WorkspaceUniversalHoldout,
)

__all__ = [
    "ApiKey", "AuditEntry", "Base", "Channel", "Company", "Consent", "ConsentStatus", "Contact",
    "ContactList", "ContactTag", "CustomFieldDefinition", "CustomFieldType", "Event", "ImportRun",
    "ImportStatus", "LifecycleStage", "ListMembership", "Membership", "Order", "OrderItem", "OrderStatus",
    "Role", "Suppression", "SuppressionReason", "Tag", "User", "WebhookDelivery", "WebhookDeliveryStatus",
    "WebhookEndpoint", "Workspace", "ContactMetrics", "LeadScoreRule", "Segment", "SegmentSnapshot",
    "SegmentSnapshotMember", "ALLOWED_TRANSITIONS", "EDITABLE_STATUSES", "SENDING_STATUSES", "BatchStatus",
    "Campaign", "CampaignHoldoutMember", "CampaignMessage", "CampaignStatus", "Delivery", "DeliveryBatch",
    "DeliveryReason", "DeliveryStatus", "MessageVariant", "SinkMessage", "WorkspaceSendSettings",
    "AttributionPathImport", "BounceType", "CampaignBudget", "CampaignSpend", "Conversion", "Topic",
    "TopicSubscription", "TouchKind", "TrackingEvent", "WorkspaceTrackingSettings", "WorkspaceUniversalHoldout",
]
