"""Keyed tokens for personal data: HMAC-SHA256 computed in Spark SQL, no Python UDF.

The key never enters a query plan as a literal (plans reach logs and the Spark UI): the HMAC pads
travel as a one-row DataFrame that is cross-joined in. ``tok_`` + 32 hex characters (128 bits).
"""

from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

TOKEN_PREFIX = "tok_"  # noqa: S105  # nosec B105: a label for token values, not a secret
TOKEN_HEX_CHARS = 32
_BLOCK = 64
_IPAD, _OPAD = "_hmac_ipad", "_hmac_opad"


def key_pads(spark: SparkSession, key: bytes) -> DataFrame:
    """The HMAC inner and outer pads of ``key`` as a one-row DataFrame."""
    if len(key) < 16:
        raise ValueError("the PII token key must be at least 16 bytes")
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    ipad = bytearray(b ^ 0x36 for b in key)
    opad = bytearray(b ^ 0x5C for b in key)
    return spark.createDataFrame([(ipad, opad)], f"{_IPAD} binary, {_OPAD} binary")


def _hmac_hex(message: Column) -> Column:
    inner = F.unhex(F.sha2(F.concat(F.col(_IPAD), F.encode(message, "UTF-8")), 256))
    return F.sha2(F.concat(F.col(_OPAD), inner), 256)


def token(message: Column) -> Column:
    """Token of a text column (null stays null). Needs the pads joined in with ``with_pads``."""
    return F.when(message.isNull(), None).otherwise(
        F.concat(F.lit(TOKEN_PREFIX), F.substring(_hmac_hex(message), 1, TOKEN_HEX_CHARS))
    )


def with_pads(df: DataFrame, pads: DataFrame) -> DataFrame:
    return df.crossJoin(F.broadcast(pads))


def without_pads(df: DataFrame) -> DataFrame:
    return df.drop(_IPAD, _OPAD)


def python_token(key: bytes, message: str) -> str:
    """The same token in plain Python (for tests and operators looking one value up)."""
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[:TOKEN_HEX_CHARS]
