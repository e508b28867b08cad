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


def tables(module: Path) -> str:
    variables = hcl2.loads((module / "variables.tf").read_text())
    outputs = hcl2.loads((module / "outputs.tf").read_text())
    lines = ["## Inputs", "", "| Name | Description | Type | Default |", "| --- | --- | --- | --- |"]
    for block in variables.get("variable", []):
        for name, spec in block.items():
            default = f"`{_cell(_expr(spec['default']))}`" if "default" in spec else "required"
            lines.append(f"| `{name}` | {_cell(spec['description'])} | `{_cell(_expr(spec['type']))}` | {default} |")
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
