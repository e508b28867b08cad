"""Compressed landing files: a file named ``*.gz`` holds its CSV as a gzip stream (RFC 1952).

Spark's CSV reader decompresses a file by its name: Hadoop's ``CompressionCodecFactory`` maps the
suffix ``.gz`` (exactly that: ``.GZ`` and ``.gzip`` are read as plain bytes) to ``GzipCodec``. The
planner (``etl/landing/plan.py``) decompresses exactly the files Spark will, with ``gunzip`` here, over
``Storage.read_chunks``: one code path for a local folder and for S3, whose GetObject returns the
object's bytes as stored (below). Lineage names the file as landed (``.../x.csv.gz``); the records,
their numbers and everything sniffed come from the decompressed CSV.

``gunzip`` accepts what both gzip -d and Hadoop's codec read, and refuses the rest (``BadCompression``,
rule ``bad_compression``), before Spark sees the file: Spark would fail the whole hop on it, or load
the part before the damage. Checked against Spark 3.5's reader (Hadoop's built-in Java decompressor):

- concatenated members (``cat a.gz b.gz``, pigz, some exporters) are one stream: read to the end;
- a stream cut short, corrupt data or a wrong CRC-32/length trailer: refused (Spark: EOFException);
- anything after the last member, even the zero padding Python's ``gzip`` module skips: refused
  (Spark fails on it: "not a gzip file", or EOFException on other bytes);
- a 0-byte file holds no stream and no CSV: nothing is yielded, and sniff calls it empty.

Content-Encoding: an object uploaded with ``Content-Encoding: gzip`` only carries that as metadata; S3
stores and returns the bytes as sent (it never transcodes, unlike Google Cloud Storage), the header
telling a client "what decoding mechanisms must be applied to obtain the media-type referenced by the
Content-Type header field" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Some
clients then decompress on the way (browsers, the S3 console, the Go SDK's default transport:
aws/aws-sdk-go#1292); boto3 does not (botocore reads the body with ``decode_content=False``;
boto/boto3#1257, boto/botocore#1255), and the AWS SDK for Java turns its HTTP client's decompression
off unless asked (aws/aws-sdk-java#1147). So the planner, and Spark on Glue as far as that goes, see
the compressed bytes of ``x.csv.gz`` and decompress them once, by name, whatever its Content-Encoding
(``tests/unit/test_landing.py`` plans such an object on moto). Not proven on Glue itself: a reader
that did decompress would hand the codec plain text and fail the hop, so landing objects should be
uploaded without ``--content-encoding`` (``aws s3 cp`` sets none by default). An object holding gzip
bytes under a name without ``.gz`` is what Spark cannot read: sniff refuses it by its content.

Zip archives are not feeds: Hadoop has no codec for them (Spark would read the archive's bytes as
CSV), an archive may hold many files or none, and a workbook (``.xlsx``) is a zip too. Sniff refuses
one by its content, saying what it is.

Standard library only (``zlib``): the Glue job library may import nothing else.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

GZIP_SUFFIX = ".gz"
PIECE_BYTES = 1 << 20  # most decompressed bytes produced at a time: a small file may hold a huge stream
_GZIP_ONLY = 16 + zlib.MAX_WBITS  # wbits: a gzip header and trailer, not zlib's or a raw deflate stream
_NOT_A_HEADER = ("incorrect header check", "unknown compression method")


class BadCompression(Exception):
    """A ``.gz`` landing file that is not one whole, valid gzip stream; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_gzip(name: str) -> bool:
    """Whether Spark reads the file named ``name`` (a path or URI) through the gzip codec."""
    return name.endswith(GZIP_SUFFIX)


def gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The decompressed bytes of the gzip stream ``chunks`` hold, every member in turn, in pieces of at
    most ``PIECE_BYTES``; ``BadCompression`` as soon as the stream is found damaged, truncated or followed
    by other bytes. Reads ``chunks`` only as far as the caller consumes the output."""
    inflater = zlib.decompressobj(_GZIP_ONLY)
    fed = False  # the current member has had input
    members = 0  # members finished
    offset = 0  # compressed bytes before the current member
    seen = 0  # compressed bytes read
    for chunk in chunks:
        seen += len(chunk)
        data = chunk
        while data:
            fed = True
            try:
                yield from _inflate(inflater, data)
            except zlib.error as error:
                raise _bad(error, members, offset) from None
            if not inflater.eof:
                break
            data = inflater.unused_data
            members += 1
            offset = seen - len(data)
            inflater, fed = zlib.decompressobj(_GZIP_ONLY), False
    if fed:
        raise BadCompression(
            "the gzip stream is cut short: the file is incomplete (truncated in transfer?); land it again whole"
        )


def _inflate(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """Everything ``data`` decompresses to, in bounded pieces (what is left of it after the member's end
    stays in ``unused_data``)."""
    while True:
        out = inflater.decompress(data, PIECE_BYTES)
        if out:
            yield out
        if inflater.eof:
            return
        data = inflater.unconsumed_tail
        if not data and len(out) < PIECE_BYTES:  # input used up and no output held back
            return


def _bad(error: zlib.error, members: int, offset: int) -> BadCompression:
    detail = str(error).split(": ", 1)[-1]  # "Error -3 while decompressing data: incorrect data check"
    if detail in _NOT_A_HEADER:
        if members == 0:
            return BadCompression("the file is named .gz but is not gzip-compressed")
        return BadCompression(
            f"the file goes on after the end of its gzip stream (byte {offset}) with bytes that are not gzip "
            "data, which Spark cannot read: compress the CSV again"
        )
    return BadCompression(f"the gzip data is corrupt ({detail}); land the file again")
