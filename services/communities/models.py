from sqlalchemy.orm import DeclarativeBase

from parvis_contracts.db import infrastructure_tables


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
