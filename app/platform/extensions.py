"""Unbound singletons shared by the app: the database proxy and CSRF protection.

They are bound to a concrete app in create_app, so tests can make as many apps as they like.
"""
from flask_wtf import CSRFProtect
from peewee import DatabaseProxy

db = DatabaseProxy()
csrf = CSRFProtect()
