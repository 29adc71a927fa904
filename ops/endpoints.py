"""The operator's endpoints, declared once: ops/urls.py mounts them, and config/settings.py
exempts them from the HTTPS redirect (probes speak plain HTTP to the process and would take a
301 for success, which would hide a failing database). No Django import: settings read it."""

from __future__ import annotations

# Route (from the site's root) -> URL name; each view is ops.views.<name>.
PROBES = {"healthz": "healthz", "readyz": "readyz", "metrics": "metrics"}
