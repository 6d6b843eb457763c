"""Every area's tables, imported so that `Base.metadata` knows the whole schema
(migrations compare against it)."""

from api.db import Base
from api.directory import models as directory_models

__all__ = ["Base", "directory_models"]
