"""tokens.py: the HMAC-SHA256 computed in Spark SQL equals Python's hmac, and the key stays out of plans."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from energy_lake.etl.transforms import tokens

pytestmark = pytest.mark.spark

MESSAGES = ["", "a", "laura_martinez", "Ana García", "José Ñúñez Müller", "CC:1012345678", "⚡ energía", "x" * 200]


def reference(key: bytes, message: str) -> str:
    """Independent of tokens.python_token: hmac from the standard library, first 128 bits, tok_ prefix."""
    return "tok_" + hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize(
    "key",
    [
        b"test-key-0123456789abcdef",  # the suite's key (24 bytes)
        b"k" * 64,  # exactly one block
        b"long key " * 20,  # longer than a block: hashed first, as RFC 2104 says
        "clave-con-acentos-ñáé".encode(),
    ],
)
def test_spark_hmac_equals_python_hmac(spark, key):
    frame = spark.createDataFrame([(m,) for m in [*MESSAGES, None]], "message string")
    out = tokens.without_pads(
        tokens.with_pads(frame, tokens.key_pads(spark, key)).select("*", tokens.token(F.col("message")).alias("token"))
    )
    expected = spark.createDataFrame(
        [(m, reference(key, m)) for m in MESSAGES] + [(None, None)], "message string, token string"
    )
    assertDataFrameEqual(out, expected)


def test_python_token_is_the_same_hmac(pii_key):
    assert [tokens.python_token(pii_key, m) for m in MESSAGES] == [reference(pii_key, m) for m in MESSAGES]
    assert tokens.python_token(pii_key, "a") != tokens.python_token(b"another-key-0123456789", "a")


def test_short_key_is_refused(spark):
    with pytest.raises(ValueError, match="at least 16 bytes"):
        tokens.key_pads(spark, b"0123456789abcde")


def test_the_key_is_not_in_the_query_plan(spark, pii_key):
    frame = spark.createDataFrame([("Ana García",)], "message string")
    out = tokens.without_pads(
        tokens.with_pads(frame, tokens.key_pads(spark, pii_key)).select(tokens.token(F.col("message")).alias("t"))
    )
    assert out.collect()[0]["t"] == reference(pii_key, "Ana García")  # executed: the final plan exists too
    plan = out._jdf.queryExecution().toString()
    padded = pii_key.ljust(64, b"\0")
    secrets = {
        "key text": pii_key.decode(),
        "key hex": pii_key.hex(),
        "inner pad hex": bytes(b ^ 0x36 for b in padded).hex(),
        "outer pad hex": bytes(b ^ 0x5C for b in padded).hex(),
    }
    for what, secret in secrets.items():
        assert secret.lower() not in plan.lower(), what
        assert secret[:16].lower() not in plan.lower(), what
    assert "_hmac_ipad" in plan  # the plan was really inspected: the pads are columns, not literals
