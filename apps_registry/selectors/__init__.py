"""Reads about Apps that several places need, one module per page that needs them, every name
importable from here:
- `apps.py`: one App (the App an actor may manage, its live tokens and secrets, the App an Add
  App form made or would twin);
- `changelist.py`: an account's changelist (search, sidebar filters, sort, pages, counts) and
  the Apps its actions act on; `facets.py`: its filters' facet counts;
- `audit.py`: the audit trail's timeline and filters;
- `authorized.py`: Authorized Apps (design §8).
"""

from .apps import (
    app_made_by_form,
    app_secrets,
    app_twin,
    live_tokens,
    manageable_app,
    registration_access_live,
)
from .audit import (
    EVENTS_PER_PAGE,
    AuditFilters,
    audit_action_choices,
    audit_actor_choices,
    audit_app_choices,
    audit_events,
    audit_timeline,
    clean_audit_filters,
)
from .authorized import authorized_apps, consent_remembered
from .changelist import (
    APPS_PER_PAGE,
    CHANGELIST_COLUMNS,
    COUNT_COLUMNS,
    COUNTERS,
    DEFAULT_ORDER,
    FILTER_PARAMETERS,
    LIST_FILTERS,
    SORTABLE,
    ChangeList,
    ListFilter,
    app_changelist,
    apps_to_remove,
    authorized_account_counts,
    changelist_apps,
    clean_filters,
    live_token_counts,
    selected_apps,
    with_counts,
)
from .facets import changelist_counts

__all__ = [
    "APPS_PER_PAGE",
    "CHANGELIST_COLUMNS",
    "COUNTERS",
    "COUNT_COLUMNS",
    "DEFAULT_ORDER",
    "EVENTS_PER_PAGE",
    "FILTER_PARAMETERS",
    "LIST_FILTERS",
    "SORTABLE",
    "AuditFilters",
    "ChangeList",
    "ListFilter",
    "app_changelist",
    "app_made_by_form",
    "app_secrets",
    "app_twin",
    "apps_to_remove",
    "audit_action_choices",
    "audit_actor_choices",
    "audit_app_choices",
    "audit_events",
    "audit_timeline",
    "authorized_account_counts",
    "authorized_apps",
    "changelist_apps",
    "changelist_counts",
    "clean_audit_filters",
    "clean_filters",
    "consent_remembered",
    "live_token_counts",
    "live_tokens",
    "manageable_app",
    "registration_access_live",
    "selected_apps",
    "with_counts",
]
