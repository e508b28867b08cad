"""etl/landing/encoding.py: what a file's bytes say of their encoding, and the decision, case by case."""

from __future__ import annotations

import pytest

from energy_lake.etl.landing.encoding import SUSPECTS, TextEvidence
from energy_lake.etl.model.errors import FeedRejected

F = "transactions/ingest_date=2026-03-02/x.csv"
SPANISH = "Operación;Contraparte;Fuente\nVenta;María Pérez;eólica\nCompra;Núcleo Caribe;hidráulica\n"


def evidence(data: bytes, chunk: int | None = None) -> TextEvidence:
    found = TextEvidence()
    step = chunk or max(len(data), 1)
    for start in range(0, len(data), step):
        found.update(data[start : start + step])
    found.update(b"", final=True)
    return found


def decided(data: bytes) -> str:
    return evidence(data).decide(F)


def refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(FeedRejected) as info:
        decided(data)
    return info.value.rule, info.value.reason


def test_valid_utf8_is_utf8():
    assert decided(SPANISH.encode()) == "UTF-8"
    assert decided(b"plain,ascii\n1,2\n") == "UTF-8"


def test_utf8_with_a_few_stray_bytes_is_still_utf8():
    # 9 accented characters, one Windows-1252 é pasted in: the damaged value is the raw hop's to quarantine.
    data = SPANISH.encode() + b"Venta;Jos\xe9;wind\n"
    assert (evidence(data).continuation, evidence(data).stray) == (6, 1)
    assert decided(data) == "UTF-8"


def test_a_spanish_windows_1252_export_is_windows_1252():
    assert decided(SPANISH.encode("cp1252")) == "windows-1252"


def test_a_chance_utf8_pair_in_windows_1252_text_is_no_mojibake():
    # Ó (D3) then º (BA) is valid UTF-8 (U+04FA), but its Windows-1252 reading is what was written.
    data = "Operación;Nº\nÓº;1\nEnergía;2\n".encode("cp1252")
    assert (evidence(data).continuation, evidence(data).stray) == (1, 3)
    assert decided(data) == "windows-1252"


def test_windows_1252_text_with_utf8_pasted_in_is_refused_as_mixed():
    data = SPANISH.encode("cp1252") + "Venta;Núcleo;wind\n".encode()
    assert refusal(data) == (
        "bad_encoding",
        "the file mixes encodings (UTF-8 characters: 1, bytes that are not UTF-8: 6, Windows-1252?); save the whole "
        "file as UTF-8",
    )


def test_utf8_encoded_twice_is_refused():
    data = SPANISH.encode().decode("cp1252").encode()
    assert refusal(data) == (
        "bad_encoding",
        "the text is UTF-8 encoded twice ('Ã³' stands for 'ó': UTF-8 read as Windows-1252 and saved as UTF-8 "
        "again); export it again as UTF-8 from the original",
    )


def test_bytes_windows_1252_leaves_undefined_are_refused():
    assert refusal(b"a,b\n\x81x,1\n") == ("bad_encoding", "the file is neither UTF-8 nor Windows-1252 text")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_chunks_cut_inside_characters_count_the_same_as_the_whole(chunk):
    data = (SPANISH + "€ 😀 ✓\n").encode() + b"stray \xe9 \xc3 end\xf0\x9f"
    whole, cut = evidence(data), evidence(data, chunk)
    assert (cut.continuation, cut.stray, cut.undefined) == (whole.continuation, whole.stray, whole.undefined)
    # é 1, ó 1, í 1 ... the emoji 3, € and ✓ 2 each; strays: é, a lone C3, and F0 9F cut by the end.
    assert (whole.continuation, whole.stray) == (6 + 2 + 3 + 2, 4)


def test_only_the_first_runs_of_accents_are_kept_for_the_mojibake_check():
    found = evidence(SPANISH.encode() * 100)
    assert len(found.suspects) == SUSPECTS
    assert found.suspects[0] == "Operación;Contrapart".encode()  # 12 characters on each side, at most
