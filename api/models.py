"""Every area's tables, imported so that `Base.metadata` knows the whole schema
(migrations compare against it)."""

from api import plugins
from api.access import models as access_models
from api.agenda import models as agenda_models
from api.catalogue import models as catalogue_models
from api.contents import models as contents_models
from api.db import Base
from api.directory import models as directory_models
from api.dossier import models as dossier_models
from api.identity import models as identity_models
from api.indicators import models as indicator_models
from api.interop import models as interop_models
from api.journal import models as journal_models
from api.messaging import models as messaging_models
from api.oauth import models as oauth_models
from api.profile import models as profile_models
from api.reimbursements import models as reimbursement_models

# The enabled plugins' tables join the core's (the migrations and their check read them).
PLUGIN_MODELS = tuple(model for plugin in plugins.active().enabled for model in plugin.models)

__all__ = [
    "PLUGIN_MODELS",
    "Base",
    "access_models",
    "agenda_models",
    "catalogue_models",
    "contents_models",
    "directory_models",
    "dossier_models",
    "identity_models",
    "indicator_models",
    "interop_models",
    "journal_models",
    "messaging_models",
    "oauth_models",
    "profile_models",
    "reimbursement_models",
]
