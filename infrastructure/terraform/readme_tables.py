"""Write the Inputs and Outputs tables of every module README, and of bootstrap/README.md, from the
directory's variables.tf and outputs.tf.

    .venv/bin/python infrastructure/terraform/readme_tables.py          # rewrite the tables
    .venv/bin/python infrastructure/terraform/readme_tables.py --check  # exit 1 if one is stale

The tables sit between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``; the rest of each
README is written by hand. tests/integration/test_infra_crosscheck.py runs the check.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

MODULES = Path(__file__).resolve().parent / "modules"
BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _expr(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    match = re.fullmatch(r"\$\{(.*)\}", text, flags=re.S)
    return " ".join((match.group(1) if match else text).split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside any bracket."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [p.strip() for p in [*parts, text[start:]] if p.strip()]


def attributes(source: str, variable: str) -> list[tuple[str, str, str, str]]:
    """(name, description, type, default) of each attribute of an object variable whose attributes are
    written one per line at four spaces, each after its ``# description`` comment lines."""
    block = source[source.index(f'variable "{variable}" {{') :]
    out: list[tuple[str, str, str, str]] = []
    comment: list[str] = []
    lines = iter(block.splitlines())
    for line in lines:
        if line.startswith("  type") and "object({" in line:
            break
    for line in lines:
        if line.startswith("  })"):
            break
        if line.startswith("    # "):
            comment.append(line.removeprefix("    # "))
            continue
        name, _, text = line.strip().partition(" = ")
        while text.count("(") + text.count("{") > text.count(")") + text.count("}"):
            text += " " + next(lines).strip()
        text = " ".join(text.split())
        default = "required"
        if text.startswith("optional(") and text.endswith(")"):
            inner = _split_top(text.removeprefix("optional(")[:-1])
            text, default = inner[0], (f"`{inner[1]}`" if len(inner) > 1 else "`null`")
        out.append((name, " ".join(comment), text, default))
        comment = []
    return out


def tables(module: Path) -> str:
    source = (module / "variables.tf").read_text()
    variables = hcl2.loads(source)
    outputs = hcl2.loads((module / "outputs.tf").read_text())
    lines = ["## Inputs", "", "| Name | Description | Type | Default |", "| --- | --- | --- | --- |"]
    objects = []
    for block in variables.get("variable", []):
        for name, spec in block.items():
            default = f"`{_cell(_expr(spec['default']))}`" if "default" in spec else "required"
            kind = f"`{_cell(_expr(spec['type']))}`"
            # An object whose attributes are each described in a comment gets a table of them.
            if _expr(spec["type"]).startswith("object(") and all(a[1] for a in attributes(source, name)):
                kind = f"object: [its attributes](#{name}-attributes)"
                objects.append(name)
            lines.append(f"| `{name}` | {_cell(spec['description'])} | {kind} | {default} |")
    for name in objects:
        lines += ["", f"### {name} attributes", "", "| Attribute | Description | Type | Default |", "| --- | --- | --- | --- |"]
        for attribute, description, kind, default in attributes(source, name):
            lines.append(f"| `{attribute}` | {_cell(description)} | `{_cell(kind)}` | {_cell(default)} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "| --- | --- |"]
    for block in outputs.get("output", []):
        for name, spec in block.items():
            lines.append(f"| `{name}` | {_cell(spec['description'])} |")
    return "\n".join(lines)


def render(readme: str, module: Path) -> str:
    start, end = readme.index(BEGIN), readme.index(END)
    return f"{readme[: start + len(BEGIN)]}\n{tables(module)}\n{readme[end:]}"


def documented() -> list[Path]:
    """The directories whose README carries the tables: every module, and the bootstrap root."""
    return [*sorted(p for p in MODULES.iterdir() if p.is_dir()), BOOTSTRAP]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for module in documented():
        path = module / "README.md"
        current = path.read_text()
        wanted = render(current, module)
        if wanted != current:
            stale.append(path)
            if not check:
                path.write_text(wanted)
    if check and stale:
        print("stale README tables (run infrastructure/terraform/readme_tables.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
