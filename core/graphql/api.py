"""The core API parts merged into every schema. Each subsystem adds its Query/Mutation classes here."""

from __future__ import annotations

from community_plus.graphql.domains.media import MediaMutation, MediaQuery
from community_plus.graphql.domains.audit import AuditQuery
from community_plus.graphql.domains.core import CoreMutation, CoreQuery
from community_plus.graphql.domains.identity import IdentityMutation, IdentityQuery
from community_plus.graphql.domains.modules import ModulesMutation, ModulesQuery
from community_plus.graphql.domains.notifications import NotificationsMutation, NotificationsQuery
from community_plus.graphql.domains.work_orders import ServicesMutation, ServicesQuery
from community_plus.graphql.domains.notification_templates import TemplatesQuery
from community_plus.realtime.api import RealtimeSubscription
from community_plus.graphql.domains.hotline import HotlineMutation, HotlineQuery
from community_plus.graphql.domains.linkage import LinkageMutation, LinkageQuery
from community_plus.graphql.domains.resident_import import ResidentImportMutation, ResidentImportQuery
from community_plus.graphql.domains.staff import StaffMutation, StaffQuery
from community_plus.graphql.domains.staff_invitations import StaffInvitationsMutation, StaffInvitationsQuery
from community_plus.graphql.domains.visits import VisitsMutation, VisitsQuery

QUERIES: list[type] = [CoreQuery, MediaQuery, ServicesQuery, ModulesQuery, IdentityQuery, AuditQuery, NotificationsQuery,
                      TemplatesQuery, HotlineQuery, LinkageQuery, ResidentImportQuery, VisitsQuery, StaffInvitationsQuery,
                      StaffQuery]
MUTATIONS: list[type] = [CoreMutation, MediaMutation, ServicesMutation, ModulesMutation, IdentityMutation,
                         NotificationsMutation, HotlineMutation, LinkageMutation, ResidentImportMutation,
                         VisitsMutation, StaffInvitationsMutation, StaffMutation]
SUBSCRIPTIONS: list[type] = [RealtimeSubscription]
