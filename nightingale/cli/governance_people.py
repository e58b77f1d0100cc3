"""``nightingale people``: accounts, roles, accreditation and passwords (administrators)."""

from __future__ import annotations

from typing import Annotated

import typer

from nightingale.cli.governance import As, console, parse_date, show_table, unit

# -- people ------------------------------------------------------------------------------

people_app = typer.Typer(help="People, roles, accreditation and passwords.", no_args_is_help=True)


def _password(stdin: bool) -> str | None:
    if not stdin:
        return None
    import sys

    return sys.stdin.readline().rstrip("\n")


@people_app.command("add")
def people_add(
    ctx: typer.Context,
    username: str,
    role: Annotated[list[str], typer.Option("--role", help="Role (repeatable).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    accredited_until: Annotated[str | None, typer.Option(help="Accreditation expiry.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read a password from stdin.")] = False,
    actor: Annotated[
        str | None, typer.Option("--as", envvar="NIGHTINGALE_ACTOR", help="Administrator.")
    ] = None,
) -> None:
    """Add a person (the first person of a platform is an administrator, without --as)."""
    from nightingale.governance import people
    from nightingale.governance.settings import governance_settings

    with unit(ctx) as work:
        people.create_person(
            work.session,
            work.keystore,
            by=actor,
            username=username,
            display_name=name or username,
            roles=role,
            accreditation_expires=parse_date(accredited_until, "--accredited-until"),
            password=_password(password_stdin),
            hashing=governance_settings(work.settings).password_hashing,
        )
    console.print(f"[green]added[/] {username} ({', '.join(sorted(role))})")


@people_app.command("list")
def people_list(ctx: typer.Context) -> None:
    """Everyone, with roles and accreditation."""
    from nightingale.governance import people

    with unit(ctx) as work:
        rows = [
            [
                p.username,
                p.display_name,
                ", ".join(sorted(p.roles)),
                p.accreditation_expires,
                "yes" if p.active else "no",
            ]
            for p in people.list_people(work.session)
        ]
    show_table("people", ["username", "name", "roles", "accredited until", "active"], rows)


@people_app.command("roles")
def people_roles(
    ctx: typer.Context,
    username: str,
    actor: As,
    role: Annotated[list[str], typer.Option("--role", help="Role (repeatable).")],
) -> None:
    """Replace a person's roles."""
    from nightingale.governance import people

    with unit(ctx) as work:
        people.set_roles(work.session, work.keystore, by=actor, username=username, roles=role)
    console.print(f"[green]roles of {username}[/]: {', '.join(sorted(role))}")


@people_app.command("accredit")
def people_accredit(
    ctx: typer.Context,
    username: str,
    actor: As,
    until: Annotated[str, typer.Option(help="Expiry date YYYY-MM-DD.")],
) -> None:
    """Record a researcher's accreditation expiry date."""
    from nightingale.governance import people

    with unit(ctx) as work:
        people.set_accreditation(
            work.session,
            work.keystore,
            by=actor,
            username=username,
            expires=parse_date(until, "--until"),
        )
    console.print(f"[green]{username} accredited until {until}")


@people_app.command("passwd")
def people_passwd(ctx: typer.Context, username: str, actor: As) -> None:
    """Set a password, read from stdin (one line)."""
    from nightingale.governance import people
    from nightingale.governance.settings import governance_settings

    password = _password(True) or ""
    with unit(ctx) as work:
        people.set_password(
            work.session,
            work.keystore,
            by=actor,
            username=username,
            password=password,
            hashing=governance_settings(work.settings).password_hashing,
        )
    console.print(f"[green]password set for {username}")


@people_app.command("deactivate")
def people_deactivate(ctx: typer.Context, username: str, actor: As) -> None:
    """Stop someone acting; their history stays."""
    from nightingale.governance import people

    with unit(ctx) as work:
        people.deactivate(work.session, work.keystore, by=actor, username=username)
    console.print(f"[yellow]{username} deactivated")


def register(app: typer.Typer) -> None:
    """Add the people command group."""
    app.add_typer(people_app, name="people")
