"""The case types of the running app: loaded once from FORMS_DIR at start, plus the
`flask forms check` and `flask forms list` commands for administrators.
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.platform.config import resolve_path
from casetypes import load_forms_dir

EXTENSION_KEY = "kundportalen.case_types"

forms_cli = AppGroup("forms", help="Ärendetyper i forms/: kontrollera och lista.")


def init_app(app) -> None:
    report = load_forms_dir(resolve_path(app.config["FORMS_DIR"]))
    for problem in report.problems:
        app.logger.error("Ärendetyp avvisad: %s", problem)
    for note in report.notes:
        app.logger.info("Ärendetyp, antagande: %s", note)
    app.extensions[EXTENSION_KEY] = report
    app.cli.add_command(forms_cli)


def case_types() -> dict:
    """slug -> CaseType for every case type that loaded, in display order."""
    return current_app.extensions[EXTENSION_KEY].case_types


def active_case_types() -> list:
    return [ct for ct in case_types().values() if ct.active]


@forms_cli.command("check")
@click.argument("directory", required=False)
@click.option("--strict", is_flag=True, help="Behandla varje NOTERA som ett fel (felkod 1).")
def check_command(directory: str | None, strict: bool) -> None:
    """Check every file in DIRECTORY (default FORMS_DIR) without starting the server: the same
    loading as at start, so what passes here is what the portal serves."""
    folder = resolve_path(directory or current_app.config["FORMS_DIR"])
    report = load_forms_dir(folder)
    for problem in report.problems:
        click.echo(f"FEL {problem}", err=True)
    for note in report.notes:
        click.echo(f"NOTERA {note}", err=strict)
    for case_type in report.case_types.values():
        click.echo(f"OK  {case_type.slug} ({case_type.version})")
    failures = len(report.problems) + (len(report.notes) if strict else 0)
    if failures:
        what = "problem och noteringar" if strict and report.notes else "problem"
        click.echo(f"{failures} {what} i {folder}", err=True)
        sys.exit(1)


@forms_cli.command("list")
def list_command() -> None:
    """List slug, title, version and whether customers can choose it."""
    for case_type in case_types().values():
        state = "aktiv" if case_type.active else "inaktiv"
        click.echo(f"{case_type.slug}\t{case_type.title}\t{case_type.version}\t{state}")
