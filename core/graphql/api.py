"""The core API parts merged into every schema. Each subsystem adds its Query/Mutation classes here."""

from __future__ import annotations

from ..media.graphql import MediaMutation, MediaQuery
from .audit_api import AuditQuery
from .core_api import CoreMutation, CoreQuery
from .identity_api import IdentityMutation, IdentityQuery
from .modules_api import ModulesMutation, ModulesQuery
from .notifications_api import NotificationsMutation, NotificationsQuery
from .services_api import ServicesMutation, ServicesQuery
from .templates_api import TemplatesQuery
from ..realtime.api import RealtimeSubscription
from ..domains.hotline.api import HotlineMutation, HotlineQuery
from ..domains.linkage.api import LinkageMutation, LinkageQuery
from ..domains.resident_import.api import ResidentImportMutation, ResidentImportQuery
from ..domains.staff.api import StaffMutation, StaffQuery
from ..domains.staff_invitations.api import StaffInvitationsMutation, StaffInvitationsQuery
from ..domains.visits.api import VisitsMutation, VisitsQuery

QUERIES: list[type] = [CoreQuery, MediaQuery, ServicesQuery, ModulesQuery, IdentityQuery, AuditQuery, NotificationsQuery,
                      TemplatesQuery, HotlineQuery, LinkageQuery, ResidentImportQuery, VisitsQuery, StaffInvitationsQuery,
                      StaffQuery]
MUTATIONS: list[type] = [CoreMutation, MediaMutation, ServicesMutation, ModulesMutation, IdentityMutation,
                         NotificationsMutation, HotlineMutation, LinkageMutation, ResidentImportMutation,
                         VisitsMutation, StaffInvitationsMutation, StaffMutation]
SUBSCRIPTIONS: list[type] = [RealtimeSubscription]
