"""Match a file's header to an entity contract: which column is which, what is extra, what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from energy_lake.etl.contracts import Contract, all_contracts, load_contract, normalise_name
from energy_lake.etl.errors import FeedRejected


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


def _problems(contract: Contract, header: tuple[str, ...]) -> str:
    _, missing, clashes = _match(contract, header)
    problems = [f"needs {', '.join(missing)}"] if missing else []
    problems += [f"has {'; '.join(clashes)}"] if clashes else []
    return f"{contract.entity} {' and '.join(problems)}"


def match_header(header: tuple[str, ...], file: str, entity: str | None = None) -> HeaderMatch:
    """The contract this header belongs to (``entity`` forces one), or FeedRejected saying why not."""
    shown = ", ".join(header) if header else "(none)"
    if entity is not None:
        match, missing, clashes = _match(load_contract(entity), header)
        if match:
            return match
        other = _recognise(header)
        hint = f"; the header looks like a {other.entity} file" if other else ""
        problem = f"missing required column(s) {', '.join(missing)}" if missing else "; ".join(clashes)
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
