"""Match a file's header to an entity contract: which column is which, what is extra, what is missing.

A header cell names a contract column when its normalised spelling (``contracts.normalise_name``: no
accents, case or punctuation) is the column's name or one of its ``aliases``. When a required column
is missing, the refusal suggests the header cell that is most likely it (``_suggestions``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from energy_lake.etl.model.contracts import Contract, all_contracts, load_contract, normalise_name
from energy_lake.etl.model.errors import FeedRejected


@dataclass(frozen=True)
class HeaderMatch:
    contract: Contract
    file_columns: tuple[str, ...]  # per header cell: contract column name, or "extra:<normalised name>"
    extras: tuple[str, ...]  # normalised names of columns no contract column claims

    @property
    def entity(self) -> str:
        return self.contract.entity


EXTRA_PREFIX = "extra:"


def _match(contract: Contract, header: tuple[str, ...]) -> tuple[HeaderMatch | None, list[str], list[str]]:
    """The match, plus missing required columns and header cells claimed twice."""
    keys = contract.header_keys()
    file_columns: list[str] = []
    seen: dict[str, str] = {}
    clashes: list[str] = []
    extra_names: set[str] = set()
    for position, cell in enumerate(header):
        norm = normalise_name(cell) or f"column_{position + 1}"
        column = keys.get(norm)
        if column is None:
            file_columns.append(EXTRA_PREFIX + _unique(norm, extra_names))
            continue
        if column in seen:
            clashes.append(f"{seen[column]!r} and {cell!r} both mean {column}")
        seen[column] = cell
        file_columns.append(column)
    missing = [c for c in contract.required if c not in seen]
    if missing or clashes:
        return None, missing, clashes
    extras = tuple(c.removeprefix(EXTRA_PREFIX) for c in file_columns if c.startswith(EXTRA_PREFIX))
    return HeaderMatch(contract, tuple(file_columns), extras), missing, clashes


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... so that two extra columns never share a key in ``_extra``."""
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}_{n}"
    taken.add(unique)
    return unique


# A near miss is a typo or a longer spelling of an alias (at least this similar, difflib's ratio), or an
# abbreviation of one, word by word ("num_ident" for numero_identificacion). Below that, unrelated headers
# come close: at 0.6 "valor_total" would be offered as price (a total is not a price per MWh) and
# "fecha_entrega" as traded_at (a delivery date is not the trade's).
_NEAR = 0.8
# Unit words: a header in another unit than its column is never offered as an alias (kWh as MWh is a
# thousand times off); the refusal says to convert instead.
_UNITS = {u.lower(): u for u in ("Wh", "kWh", "MWh", "GWh", "TWh", "W", "kW", "MW", "GW")}


def _units(spellings: list[str]) -> set[str]:
    return {_UNITS[word] for spelling in spellings for word in spelling.split("_") if word in _UNITS}


def _spellings(contract: Contract, column: str) -> list[str]:
    col = contract.column(column)
    return sorted({normalise_name(s) for s in (col.name, *col.aliases)})


def _abbreviates(cell: str, spelling: str) -> bool:
    """Each word of ``cell`` starts the same word of ``spelling`` (``num_ident``, ``cant``), 3 letters kept."""
    short, full = cell.split("_"), spelling.split("_")
    return (
        short != full
        and len(short) == len(full)
        and len(cell.replace("_", "")) >= 3
        and all(f.startswith(w) for w, f in zip(short, full, strict=True))
    )


def _closeness(cell: str, spellings: list[str]) -> float:
    """How near ``cell`` is to the closest of ``spellings``: 0 when not near enough to suggest."""
    best = difflib.get_close_matches(cell, spellings, n=1, cutoff=_NEAR)
    score = difflib.SequenceMatcher(None, cell, best[0]).ratio() if best else 0.0
    return max(score, _NEAR if any(_abbreviates(cell, s) for s in spellings) else 0.0)


def _suggestions(contract: Contract, header: tuple[str, ...], missing: list[str]) -> list[str]:
    """For each missing required column, the header cell that may be it, and what to do about it.

    Candidates are the cells no column of the contract claims; each is offered for one column at most,
    the nearest pairs first.
    """
    keys = contract.header_keys()
    free = {norm: cell for cell in header if (norm := normalise_name(cell)) and norm not in keys}
    pairs = [(_closeness(norm, _spellings(contract, c)), c, norm) for c in missing for norm in free]
    found: dict[str, str] = {}
    for score, column, norm in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if score > 0 and column not in found and norm not in found.values():
            found[column] = norm
    advice = []
    for column in (c for c in missing if c in found):
        cell, sent, wanted = free[found[column]], _units([found[column]]), _units(_spellings(contract, column))
        if sent and wanted and not sent & wanted:
            advice.append(
                f"{cell!r} may be {column}, but in {'/'.join(sorted(sent))} where {column} is in "
                f"{'/'.join(sorted(wanted))}: convert the values, then name the column {column}"
            )
        else:
            advice.append(f"{cell!r} may be {column}: add it to the contract's aliases")
    return advice


def _problems(contract: Contract, header: tuple[str, ...]) -> str:
    _, missing, clashes = _match(contract, header)
    problems = [f"needs {', '.join(missing)}"] if missing else []
    problems += [f"has {'; '.join(clashes)}"] if clashes else []
    hints = _suggestions(contract, header, missing)
    return f"{contract.entity} {' and '.join(problems)}{''.join(f' ({h})' for h in hints)}"


def match_header(header: tuple[str, ...], file: str, entity: str | None = None) -> HeaderMatch:
    """The contract this header belongs to (``entity`` forces one), or FeedRejected saying why not."""
    shown = ", ".join(header) if header else "(none)"
    if entity is not None:
        match, missing, clashes = _match(load_contract(entity), header)
        if match:
            return match
        other = _recognise(header)
        # A header of another entity's file is in the wrong folder: no near misses to offer then.
        hint = f"; the header looks like a {other.entity} file" if other else ""
        problem = f"missing required column(s) {', '.join(missing)}" if missing else "; ".join(clashes)
        if missing and not other:
            problem += "".join(f"; {h}" for h in _suggestions(load_contract(entity), header, missing))
        raise FeedRejected(file, f"not a {entity} file: {problem}{hint} (header: {shown})", "missing_columns")
    matches = _matches(header)
    if len(matches) == 1:
        return matches[0]
    if matches:
        fits = ", ".join(m.entity for m in matches)
        raise FeedRejected(
            file,
            f"header fits more than one feed contract ({fits}); give the entity (header: {shown})",
            "ambiguous_header",
        )
    details = "; ".join(_problems(c, header) for c in all_contracts())
    raise FeedRejected(file, f"header matches no feed contract (header: {shown}): {details}", "unknown_header")


def _matches(header: tuple[str, ...]) -> list[HeaderMatch]:
    return [m for m in (_match(c, header)[0] for c in all_contracts()) if m]


def _recognise(header: tuple[str, ...]) -> HeaderMatch | None:
    matches = _matches(header)
    return matches[0] if len(matches) == 1 else None
