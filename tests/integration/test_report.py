"""``energy-lake report``: one self-contained HTML file; every chart an embedded PNG that decodes."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from energy_lake.cli.main import main
from energy_lake.cli.run import run_pipeline
from tests.integration.test_quality_gate import write_tiny_landing

pytestmark = pytest.mark.spark

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECTIONS = ["volumes", "prices", "buy-sell", "margin", "quarantine", "quality"]


@pytest.fixture(scope="module")
def lake(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    landing = write_tiny_landing(root / "landing")
    bad = landing / "providers" / "ingest_date=2026-01-05" / "providers.csv"
    bad.write_text(bad.read_text(encoding="utf-8") + "Solar SA,solar\n", encoding="utf-8")  # one quarantined row
    code = run_pipeline(
        lake_dir=str(root / "lake"), landing_dir=str(landing), through="analytics", reprocess=[], summary_json=None
    )
    assert code == 0
    return root / "lake"


def test_report_is_self_contained_with_every_chart_decoding(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--lake", str(lake)]) == 0
    path = lake / "report.html"
    assert capsys.readouterr().out == f"report: {path.resolve()}\n"
    text = path.read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)">', text) == SECTIONS
    images = re.findall(r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', text)
    assert len(images) == len(SECTIONS) == text.count("<img")
    for encoded in images:
        png = base64.b64decode(encoded, validate=True)
        assert png.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            assert image.format == "PNG" and image.width > 300 and image.height > 200
        assert b"matplotlib.org" not in png  # no Software tag either
    # Nothing fetched from elsewhere: no URL scheme, no protocol-relative link, no script or style sheet.
    outside_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", text)
    assert re.search(r"(?i)(https?:|ftp:|//[a-z0-9])", outside_images) is None
    assert re.search(r'(?i)(src|href)="(?!data:|#)', outside_images) is None
    assert "<script" not in text and "<link" not in text and "@import" not in text and "url(" not in text


def test_report_tables_hold_the_numbers_behind_the_charts(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "r.html"
    assert main(["report", "--lake", str(lake), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    # daily_energy_summary rows: wind buy 10 MWh at 100, wind sell 4 MWh at 150 (T2 deduplicated), hydro sell 1.
    assert '<td>2026-01-05</td><td>wind</td><td>buy</td><td class="n">1</td><td class="n">10.000</td>' in text
    assert '<td>2026-01-05</td><td>wind</td><td>sell</td><td class="n">1</td><td class="n">4.000</td>' in text
    assert '<td>providers</td><td>energy_type_not_allowed</td><td class="n">1</td>' in text
    assert '<td>transactions.sell_counterparty_is_customer</td><td>warn</td><td class="warn">warn</td>' in text


def test_report_without_a_lake_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--lake", str(tmp_path / "none")]) == 2
    assert "run `energy-lake run` first" in capsys.readouterr().err
