"""Every table of every feature, imported so Base.metadata (Alembic, tests) sees them all."""

from accord.agreements import models as agreements_models
from accord.auth import models as auth_models
from accord.core.audit import models as audit_models
from accord.notes import models as notes_models
from accord.orgs import models as orgs_models
from accord.sharing import models as sharing_models

__all__ = [
    "agreements_models",
    "audit_models",
    "auth_models",
    "notes_models",
    "orgs_models",
    "sharing_models",
]
