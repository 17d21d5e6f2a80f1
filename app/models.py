"""Database models (peewee). Every model is bound to the unbound proxy in app.extensions."""
from peewee import Model

from .extensions import db


class BaseModel(Model):
    class Meta:
        database = db


MODELS: list[type[BaseModel]] = []
