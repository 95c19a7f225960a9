"""The organization's unit tree, imported from a spreadsheet (CSV) in the organization console.

One tree serves pulse and peer support: pulse's ``Unit`` (which nests) is the tree of record, and every
unit is also a peer-support department under the same name, so a supporter is never matched from the
requester's own unit. An import only adds units and changes their place in the tree (and headcount,
when the unit model has one); it never deletes, so survey results and peer requests keep their unit.

The file: a header row with ``name`` and ``parent`` (and optionally ``headcount``), then one unit per
line. A parent is a unit already in the tree or one named anywhere in the file. Every problem is
reported with its line number, in the person's language, and nothing changes until the person has
seen the dry run and applies it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from respite.core.models import AuditLog, Organization

MAX_BYTES = 1_000_000
MAX_ROWS = 5000
NAME_LENGTH = 120


@dataclass
class Row:
    line: int
    name: str
    parent: str
    headcount: int | None


@dataclass
class Plan:
    """What applying the file would do; ``errors`` are (line, message) and block applying."""

    added: list[Row] = field(default_factory=list)
    changed: list[Row] = field(default_factory=list)
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _unit_model() -> Any:
    from respite.pulse.models import Unit

    return Unit


def has_headcount() -> bool:
    return any(f.name == "headcount" for f in _unit_model()._meta.get_fields())


def decode(raw: bytes) -> str:
    """The file as text, or ValueError with a message for the person."""
    if len(raw) > MAX_BYTES:
        raise ValueError(_("The file is larger than 1 MB."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(_("Save the file as CSV in UTF-8 and try again.")) from None


def _parse(text: str, plan: Plan) -> list[Row]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        plan.errors.append((1, _("The file is empty.")))
        return []
    except csv.Error:
        plan.errors.append((1, _("This line is not valid CSV.")))
        return []
    allowed = {"name", "parent"} | ({"headcount"} if has_headcount() else set())
    unknown = [h for h in header if h not in allowed]
    if "name" not in header or unknown:
        plan.errors.append(
            (
                1,
                _("The first line must name the columns: %(columns)s.")
                % {
                    "columns": ", ".join(sorted(allowed, key=["name", "parent", "headcount"].index))
                },
            )
        )
        return []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for line_number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                plan.errors.append(
                    (line_number, _("Too many lines: at most %(n)s units.") % {"n": MAX_ROWS})
                )
                break
            if len(values) > len(header):
                plan.errors.append((line_number, _("This line has more values than columns.")))
                continue
            cells = dict(zip(header, (v.strip() for v in values), strict=False))
            row = _row(line_number, cells, plan)
            if row is None:
                continue
            key = row.name.casefold()
            if key in seen:
                plan.errors.append(
                    (
                        line_number,
                        _("“%(name)s” is already on line %(line)s.")
                        % {"name": row.name, "line": seen[key]},
                    )
                )
                continue
            seen[key] = line_number
            rows.append(row)
    except csv.Error:
        plan.errors.append((reader.line_num, _("This line is not valid CSV.")))
    return rows


def _row(line: int, cells: dict[str, str], plan: Plan) -> Row | None:
    name, parent = cells.get("name", ""), cells.get("parent", "")
    if not name:
        plan.errors.append((line, _("The name is missing.")))
        return None
    if len(name) > NAME_LENGTH or len(parent) > NAME_LENGTH:
        plan.errors.append(
            (line, _("Names are at most %(n)s characters long.") % {"n": NAME_LENGTH})
        )
        return None
    headcount = None
    raw = cells.get("headcount", "")
    if raw:
        if not raw.isdigit() or int(raw) > 1_000_000:
            plan.errors.append((line, _("The headcount must be a whole number, like 40.")))
            return None
        headcount = int(raw)
    return Row(line, name, parent, headcount)


def plan_import(organization: Organization, text: str) -> Plan:
    """The dry run: what the file would add and change, or every problem with its line."""
    plan = Plan()
    rows = _parse(text, plan)
    Unit = _unit_model()
    existing = {u.name.casefold(): u for u in Unit.objects.filter(organization=organization)}
    names = {u.name.casefold(): u.name for u in existing.values()}
    names.update({r.name.casefold(): r.name for r in rows})
    # The tree after the import: name -> parent name (both case-folded).
    parents: dict[str, str] = {
        key: u.parent.name.casefold() for key, u in existing.items() if u.parent_id is not None
    }
    for row in rows:
        if row.parent and row.parent.casefold() not in names:
            plan.errors.append(
                (
                    row.line,
                    _("The parent “%(parent)s” is neither in the tree nor in this file.")
                    % {"parent": row.parent},
                )
            )
            continue
        if row.parent.casefold() == row.name.casefold():
            plan.errors.append((row.line, _("A unit cannot be part of itself.")))
            continue
        if row.parent:
            parents[row.name.casefold()] = row.parent.casefold()
        else:
            parents.pop(row.name.casefold(), None)
    for row in rows:
        node, steps = row.name.casefold(), 0
        while node in parents and steps <= len(parents):
            node, steps = parents[node], steps + 1
            if node == row.name.casefold():
                plan.errors.append(
                    (row.line, _("“%(name)s” would end up inside itself.") % {"name": row.name})
                )
                break
    if plan.errors:
        plan.errors.sort()
        return plan
    for row in rows:
        unit = existing.get(row.name.casefold())
        if unit is None:
            plan.added.append(row)
            continue
        current_parent = unit.parent.name.casefold() if unit.parent_id else ""
        moved = current_parent != row.parent.casefold()
        recounted = row.headcount is not None and getattr(unit, "headcount", None) != row.headcount
        if moved or recounted:
            plan.changed.append(row)
        else:
            plan.unchanged += 1
    return plan


def do_import_units(actor: Any, organization: Organization, text: str) -> Plan:
    """Apply the file (checked again: the tree may have changed since the dry run), audited."""
    from respite.peers.models import Department

    with transaction.atomic():
        plan = plan_import(organization, text)
        if plan.errors:
            return plan
        Unit = _unit_model()
        counted = has_headcount()
        units = {u.name.casefold(): u for u in Unit.objects.filter(organization=organization)}
        for row in plan.added:
            unit = Unit(organization=organization, name=row.name)
            if counted and row.headcount is not None:
                unit.headcount = row.headcount
            unit.save()
            units[row.name.casefold()] = unit
        for row in [*plan.added, *plan.changed]:
            unit = units[row.name.casefold()]
            unit.parent = units[row.parent.casefold()] if row.parent else None
            fields = ["parent"]
            if counted and row.headcount is not None:
                unit.headcount = row.headcount
                fields.append("headcount")
            unit.save(update_fields=fields)
        # Peer support matches on the same units.
        known = {
            n.casefold()
            for n in Department.objects.filter(organization=organization).values_list(
                "name", flat=True
            )
        }
        Department.objects.bulk_create(
            [
                Department(organization=organization, name=unit.name)
                for key, unit in units.items()
                if key not in known
            ]
        )
        AuditLog.record(
            actor,
            "units.imported",
            organization=organization,
            added=len(plan.added),
            changed=len(plan.changed),
        )
    return plan
