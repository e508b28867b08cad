"""The examples the property search found, kept as plain regression tests (exact bytes, exact answers).

One pipeline run takes every file below (a second one the entity that has only a header-only file).
Each comment says what was wrong and where it was fixed (tests/property/README.md lists them all).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.run import run_pipeline
from tests.property.test_generated_feeds import restored_conf

pytestmark = pytest.mark.spark

DAY = "2024-03-01"
TX = f"transactions/ingest_date={DAY}/"
HEADER = b"tipo,contraparte,cantidad,precio,energia"

FILES: dict[str, bytes] = {
    # sniff.py took the delimiter from the first physical line; a blank first line made a ';' file
    # look like a one-column ',' file and the whole file was rejected (missing_columns). Fixed.
    TX + "semicolon_blank_first.csv": "\r\n\r\nTipo;Contraparte;Cantidad;Precio;Energía\r\n"
    "venta;Laura Martínez;1,5;2.000,25;eólica\r\n".encode("cp1252"),
    # The largest quantity times the largest price: 36 digits, exact in decimal(38,7).
    TX + "largest_amount.csv": HEADER + b"\ncompra,HidroPlus,999999999999999.999,99999999999999.9999,hydro\n",
    # Old Mac line ends (CR only): the malformed record's text kept its CR. Fixed in read.py.
    TX + "old_mac.csv": HEADER + b"\rventa,A,1,1\rventa,B,1,1,wind\r",
    # A file cut inside a quoted last field: Spark's reader does not see the open quote, so the cut name
    # was loaded. Fixed: plan.py counts the file's quotes, read.py marks the last record malformed.
    TX + "cut_in_last_field.csv": b"tipo,cantidad,precio,energia,contraparte\n"
    b'venta,1,1,wind,"Carlos G\xc3\xb3mez"\nventa,2,1,wind,"Laura Mart',
    # A line of spaces before the header: Spark took it for the header. Fixed: sniff.py counts such
    # lines, read.py reads without Spark's header option and drops them and the header by position.
    TX + "spaces_before_header.csv": b"   \n" + HEADER + b"\nventa,A,1,1,wind\n",
    # Numbers and timestamps padded with tabs were unreadable (trim removes spaces only). Fixed in values.py.
    TX + "tab_padded.csv": b"tipo,contraparte,cantidad,precio,energia,fecha\n"
    b"venta,B,\t1.5\t,\t 2 ,wind,\t2024-03-01 10:00\t\n",
}


def _run(spark: Any, files: dict[str, bytes], root: Path) -> dict[str, Any]:
    for rel, data in files.items():
        (root / "landing" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "landing" / rel).write_bytes(data)
    out = io.StringIO()
    error = None
    try:
        with restored_conf(spark), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = run_pipeline(
                lake_dir=str(root / "lake"),
                landing_dir=str(root / "landing"),
                through="transform",
                reprocess=[],
                summary_json=str(root / "summary.json"),
            )
    except Exception as err:  # the property: no run ends in a traceback
        error, rc = err, None
    manifest = json.loads((root / "summary.json").read_text()) if error is None else None
    return {"rc": rc, "error": error, "manifest": manifest, "lake": root / "lake", "stdout": out.getvalue()}


@pytest.fixture(scope="module")
def found(spark, tmp_path_factory) -> Iterator[dict[str, Any]]:
    yield _run(spark, FILES, tmp_path_factory.mktemp("found"))


def _per_file(found: dict[str, Any], rel: str) -> dict[str, Any]:
    assert found["error"] is None, found["stdout"]
    return found["manifest"]["entities"][rel.split("/")[0]]["per_file"][rel]


def _query(found: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    return LocalAthena(str(found["lake"]), "data_engineer").query(sql).rows


def test_the_run_succeeds_without_a_traceback(found):
    assert found["error"] is None, found["stdout"]
    assert (found["rc"], found["manifest"]["status"]) == (0, "succeeded"), found["stdout"]
    assert "Traceback" not in found["stdout"]


def test_semicolon_file_with_blank_lines_before_its_header_is_read(found):
    rel = TX + "semicolon_blank_first.csv"
    assert _per_file(found, rel) == {"rows_read": 1, "rows_valid": 1, "rows_quarantined": 0, "reasons": {}}
    rows = _query(found, f"SELECT quantity, price FROM transform.transactions WHERE _source_file = '{rel}'")
    assert rows == [(Decimal("1.500"), Decimal("2000.2500"))]


def test_largest_quantity_times_largest_price_is_exact(found):
    rel = TX + "largest_amount.csv"
    rows = _query(found, f"SELECT quantity, price, amount FROM transform.transactions WHERE _source_file = '{rel}'")
    amount = Decimal("99999999999999999800000000000.0000001")
    assert rows == [(Decimal("999999999999999.999"), Decimal("99999999999999.9999"), amount)]


def test_old_mac_malformed_record_text_has_no_line_end(found):
    rel = TX + "old_mac.csv"
    assert _per_file(found, rel) == {
        "rows_read": 2,
        "rows_valid": 1,
        "rows_quarantined": 1,
        "reasons": {"wrong_field_count": 1},
    }
    rows = _query(found, f"SELECT _source_line, source_record FROM raw.quarantine WHERE _source_file = '{rel}'")
    assert rows == [(2, "venta,A,1,1")]


def test_quote_left_open_in_the_last_field_is_a_malformed_record(found):
    rel = TX + "cut_in_last_field.csv"
    assert _per_file(found, rel) == {
        "rows_read": 2,
        "rows_valid": 1,
        "rows_quarantined": 1,
        "reasons": {"wrong_field_count": 1},
    }
    rows = _query(found, f"SELECT _source_line, source_record FROM raw.quarantine WHERE _source_file = '{rel}'")
    assert rows == [(3, 'venta,2,1,wind,"Laura Mart')]


def test_numbers_and_timestamps_padded_with_tabs_are_read(found):
    rel = TX + "tab_padded.csv"
    assert _per_file(found, rel) == {"rows_read": 1, "rows_valid": 1, "rows_quarantined": 0, "reasons": {}}
    rows = _query(
        found,
        f"SELECT quantity, price, CAST(traded_at AS VARCHAR) FROM transform.transactions WHERE _source_file = '{rel}'",
    )
    assert rows == [(Decimal("1.500"), Decimal("2.0000"), "2024-03-01 10:00:00")]


def test_line_of_spaces_before_the_header_is_not_the_header(found):
    rel = TX + "spaces_before_header.csv"
    assert _per_file(found, rel) == {"rows_read": 1, "rows_valid": 1, "rows_quarantined": 0, "reasons": {}}
    rows = _query(found, f"SELECT _source_line FROM raw.transactions WHERE _source_file = '{rel}'")
    assert rows == [(2,)]


def test_entity_whose_only_file_is_header_only_runs_without_a_traceback(spark, tmp_path):
    """Found while the data quality gates were being added: an entity with files but no rows."""
    run = _run(spark, {f"providers/ingest_date={DAY}/providers.csv": b"provider_name,energy_type"}, tmp_path)
    assert run["error"] is None, f"{run['error']!r}\n{run['stdout']}"
    assert run["rc"] == 0, run["stdout"]
    assert run["manifest"]["entities"]["providers"]["per_file"] == {
        f"providers/ingest_date={DAY}/providers.csv": {
            "rows_read": 0,
            "rows_valid": 0,
            "rows_quarantined": 0,
            "reasons": {},
        }
    }


VALUE_KEY_CASES = ["Energía Nº 1 S.A.", "Inversiones 1ª Línea", "ČEZ Jaderná a.s.", "Škoda JS", "Łódź Ørsted", "x²"]


def test_value_key_folds_like_normalise_name(spark):
    """Found as 'Energía Nº 1 S.A.': value_key kept 'º' as punctuation (energia_n_1_s_a) where the
    documented normalise_name folds it (energia_no_1_s_a), so provider keys and name tokens differed
    from a plain-Python look-up. Fixed in values.py (folding table built from NFKD)."""
    from pyspark.sql import functions as F

    from energy_lake.etl.model.contracts import normalise_name
    from energy_lake.etl.transforms import values

    frame = spark.createDataFrame([(t,) for t in VALUE_KEY_CASES], "text string")
    got = dict(frame.select("text", values.value_key(F.col("text"))).collect())
    assert got == {t: normalise_name(t) for t in VALUE_KEY_CASES}
