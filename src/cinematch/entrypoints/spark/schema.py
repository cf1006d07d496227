"""The event of docs/contract.md §1 as a Spark schema, for `from_json` on the Kafka value.

The driver only needs a few columns to route, order and watermark events (user, seq,
event id, the entry's added time); the executors decode and validate the whole event
with the core's own decoder, so a malformed message gets the same reason everywhere.
"""

from __future__ import annotations

from typing import Any


def event_schema() -> Any:  # a pyspark StructType (pyspark loads only in Spark's processes)
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    def movie() -> Any:
        return StructType([
            StructField("name", StringType()), StructField("year", IntegerType()),
            StructField("rating", DoubleType()), StructField("imdb_id", StringType()),
            StructField("genres", ArrayType(StringType())), StructField("duration", IntegerType()),
            StructField("director", StringType()), StructField("actors", StringType()),
            StructField("date", StringType()), StructField("old_rating", DoubleType()),
            StructField("new_rating", DoubleType()), StructField("title", StringType()),
            StructField("added_at", StringType()), StructField("catalog_id", StringType()),
            StructField("rewatch", BooleanType()), StructField("tags", ArrayType(StringType())),
            StructField("private", BooleanType()), StructField("writers", StringType()),
            StructField("countries", ArrayType(StringType())), StructField("languages", ArrayType(StringType())),
        ])

    return StructType([
        StructField("event_id", StringType()), StructField("schema_version", IntegerType()),
        StructField("event_type", StringType()), StructField("user_id", StringType()),
        StructField("entry_id", StringType()), StructField("movie", movie()),
        StructField("previous", movie()), StructField("timestamp", StringType()),
        StructField("seq", LongType()),
    ])
