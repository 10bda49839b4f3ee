"""Every table of every feature, imported so Base.metadata (Alembic, tests) sees them all."""

from accord.auth import models as auth_models
from accord.core.audit import models as audit_models
from accord.orgs import models as orgs_models

__all__ = ["audit_models", "auth_models", "orgs_models"]
