"""gunzip (etl/landing/compression.py): the decompressed CSV of a ``.gz`` landing file, read as it streams.

The planner's use of it, with every way a stream can be damaged, is in tests/unit/test_landing.py.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from energy_lake.etl.landing.compression import PIECE_BYTES, BadCompression, gunzip, is_gzip

CSV = b"provider_name,energy_type,country,capacity_mw\n" + b"Acme Wind,wind,Spain,10.5\n" * 50_000


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_any_chunking_of_the_stream_gives_the_same_csv(size: int) -> None:
    packed = gzip.compress(CSV[:5000], mtime=0) + gzip.compress(CSV[5000:], mtime=0)  # two members
    assert b"".join(gunzip(chunked(packed, size))) == CSV


def test_a_small_file_holding_a_huge_stream_is_decompressed_in_bounded_pieces() -> None:
    """100 MiB of zeros is a 100 KiB gzip file: never more than PIECE_BYTES of it in memory at once."""
    packed = gzip.compress(b"\0" * (100 << 20), mtime=0)
    assert len(packed) < 200_000
    sizes = [len(piece) for piece in gunzip([packed])]
    assert max(sizes) == PIECE_BYTES and sum(sizes) == 100 << 20


def test_the_stream_is_read_only_as_far_as_the_output_is_consumed() -> None:
    packed = gzip.compress(bytes(range(256)) * 40_000, mtime=0)  # 10 MB that compress little
    taken = []

    def chunks() -> Iterator[bytes]:
        for chunk in chunked(packed, 1 << 16):
            taken.append(chunk)
            yield chunk

    first = next(gunzip(chunks()))
    assert first and len(taken) == 1


def test_the_suffix_is_hadoops_exactly() -> None:
    """Spark picks the gzip codec by the suffix ``.gz``, case-sensitively: a ``.GZ`` file is read as plain bytes."""
    assert is_gzip("s3://bucket/transactions/ingest_date=2026-01-05/x.csv.gz")
    assert not is_gzip("x.csv.GZ") and not is_gzip("x.csv.gzip") and not is_gzip("x.gz.csv")


def test_a_damaged_stream_raises_bad_compression_not_zlib_error() -> None:
    packed = gzip.compress(CSV, mtime=0)
    with pytest.raises(BadCompression, match="cut short"):
        b"".join(gunzip([packed[:-1]]))
    with pytest.raises(BadCompression, match="not gzip-compressed"):
        b"".join(gunzip([CSV]))
