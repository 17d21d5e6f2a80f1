"""The floor `make loadtest` measures the portal against: a minimal Flask app that renders a
page of the same size with Jinja and sends one PostgreSQL query per request (a row by its key),
served by the same gunicorn settings. What no page of the portal can beat on this machine.

FLOOR_DATABASE_URL names the database (a table `floor_item` with rows 1..100 in it) and
FLOOR_PAGE_BYTES the size of the page to render.
"""
from __future__ import annotations

import os
import random

import psycopg2
from flask import Flask, render_template_string

PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{{ item[1] }}</title></head>
<body><main><h1>{{ item[1] }}</h1><ul>{% for line in lines %}<li>{{ line }} – {{ item[0] }}</li>{% endfor %}</ul>
</main></body></html>"""
LINE = "Rad med text i golvets sida, lika lång som portalens"


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["FLOOR_DATABASE_URL"]
    lines = [LINE] * max(1, int(os.environ.get("FLOOR_PAGE_BYTES", "20000")) // (len(LINE) + 20))

    def connection():
        """One connection per worker, opened by its first request (after gunicorn's fork) and
        kept, as the portal keeps its pooled one: a connection per request would make the floor
        slow and flatter every ratio to it."""
        if "FLOOR_CONNECTION" not in app.config:
            app.config["FLOOR_CONNECTION"] = psycopg2.connect(url)
        return app.config["FLOOR_CONNECTION"]

    @app.get("/")
    def page():
        with connection().cursor() as cursor:
            cursor.execute("SELECT id, name FROM floor_item WHERE id = %s", (random.randint(1, 100),))  # noqa: S311
            item = cursor.fetchone()
        connection().commit()
        return render_template_string(PAGE, item=item, lines=lines)

    return app
