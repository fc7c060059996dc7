"""`dialback user create`: sign-in accounts for the web UI (issue 6), e.g. the first admin."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from dialback.config import load_settings

PASSWORD_ENV = "DIALBACK_USER_PASSWORD"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="web UI users (sign-in and roles)")
    user_sub = user.add_subparsers(dest="what", required=True)
    create = user_sub.add_parser(
        "create",
        help="create a user (the first admin, for one); the password is asked for, "
        f"read from stdin with --password-stdin, or taken from ${PASSWORD_ENV}",
    )
    create.add_argument("--config", type=Path, help="TOML settings file")
    create.add_argument("--login", required=True, help="login name or e-mail")
    create.add_argument("--name", default="", help="shown in the UI (default: the login)")
    create.add_argument("--role", choices=("admin", "supervisor", "employee"), default="admin")
    create.add_argument("--employee-id", type=int, help="the Employee this user is (employee role)")
    create.add_argument(
        "--department-id", type=int, action="append", default=[], help="supervised department"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise ValueError("the passwords differ")
    return first


def run_user(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from dialback.adapters.db.migrate import upgrade
    from dialback.adapters.db.session import make_engine, make_session_factory
    from dialback.services.users import Role, UserError, create_user, first_company

    settings = load_settings(args.config)
    try:
        password = _password(args)
    except (ValueError, EOFError) as exc:
        print(f"dialback user create: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as s:
            now = datetime.now(UTC)
            company = first_company(s, now=now)
            try:
                user = create_user(
                    s,
                    company_id=company.id,
                    login=args.login,
                    name=args.name,
                    password=password,
                    role=Role(args.role),
                    now=now,
                    employee_id=args.employee_id,
                    department_ids=tuple(args.department_id),
                )
            except UserError as exc:
                print(f"dialback user create: {exc}", file=sys.stderr)
                return 2
            s.commit()
            print(f"created {user.role} {user.login!r} (user {user.id}) in company {company.id}")
    finally:
        engine.dispose()
    return 0
