"""The core API parts merged into every schema. Each subsystem adds its Query/Mutation classes here."""

from __future__ import annotations

from community_plus.domains.media.graphql import MediaMutation, MediaQuery
from community_plus.domains.audit.api import AuditQuery
from community_plus.graphql.core_api import CoreMutation, CoreQuery
from community_plus.domains.identity.api import IdentityMutation, IdentityQuery
from community_plus.modules.api import ModulesMutation, ModulesQuery
from community_plus.domains.notifications.api import NotificationsMutation, NotificationsQuery
from community_plus.domains.work_orders.api import ServicesMutation, ServicesQuery
from community_plus.domains.notifications.templates_api import TemplatesQuery
from community_plus.realtime.api import RealtimeSubscription
from community_plus.domains.hotline.api import HotlineMutation, HotlineQuery
from community_plus.domains.linkage.api import LinkageMutation, LinkageQuery
from community_plus.domains.resident_import.api import ResidentImportMutation, ResidentImportQuery
from community_plus.domains.staff.api import StaffMutation, StaffQuery
from community_plus.domains.staff_invitations.api import StaffInvitationsMutation, StaffInvitationsQuery
from community_plus.domains.visits.api import VisitsMutation, VisitsQuery

QUERIES: list[type] = [CoreQuery, MediaQuery, ServicesQuery, ModulesQuery, IdentityQuery, AuditQuery, NotificationsQuery,
                      TemplatesQuery, HotlineQuery, LinkageQuery, ResidentImportQuery, VisitsQuery, StaffInvitationsQuery,
                      StaffQuery]
MUTATIONS: list[type] = [CoreMutation, MediaMutation, ServicesMutation, ModulesMutation, IdentityMutation,
                         NotificationsMutation, HotlineMutation, LinkageMutation, ResidentImportMutation,
                         VisitsMutation, StaffInvitationsMutation, StaffMutation]
SUBSCRIPTIONS: list[type] = [RealtimeSubscription]
