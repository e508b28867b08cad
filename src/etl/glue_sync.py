"""Point the Glue Data Catalog at the versions the lake catalog committed (on AWS only).

Athena reads through Glue, so after each commit every changed table is reconciled: partitions
created, re-pointed to their new ``run=`` folder or dropped; an unpartitioned snapshot table has
its location moved. Reconciling the whole table (not just the commit's changes) means a crash
between the commit and the sync is repaired by the next run's sync.
"""

from __future__ import annotations

from typing import Any

from energy_lake.etl.catalog import Table, partition_values

# Keys get_table returns that update_table's TableInput does not accept.
_TABLE_INPUT_KEYS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
    "TargetTable",
)


class GluePartitionSync:
    def __init__(self, glue_client: Any, databases: dict[str, str]) -> None:
        self.glue = glue_client
        self.databases = databases  # zone -> Glue database name

    def __call__(self, tables: list[Table]) -> None:
        for table in tables:
            self.sync(table)

    def sync(self, table: Table) -> dict[str, int]:
        zone, name = table.name.split(".", 1)
        database = self.databases.get(zone)
        if database is None:
            return {}
        glue_table = self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        if not table.partition_keys:
            return self._move_location(database, glue_table, table)
        wanted = {
            tuple(partition_values(pid)[k] for k in table.partition_keys): table.uri(pid)
            for pid, part in table.partitions.items()
            if part.rows > 0
        }
        existing: dict[tuple[str, ...], str] = {}
        paginator = self.glue.get_paginator("get_partitions")
        for page in paginator.paginate(DatabaseName=database, TableName=name):
            for p in page["Partitions"]:
                existing[tuple(p["Values"])] = p["StorageDescriptor"]["Location"]
        sd = glue_table["StorageDescriptor"]
        create = [self._input(sd, values, uri) for values, uri in wanted.items() if values not in existing]
        update = [(values, uri) for values, uri in wanted.items() if values in existing and existing[values] != uri]
        drop = [list(values) for values in existing if values not in wanted]
        for i in range(0, len(create), 100):
            self.glue.batch_create_partition(
                DatabaseName=database, TableName=name, PartitionInputList=create[i : i + 100]
            )
        for values, uri in update:
            self.glue.update_partition(
                DatabaseName=database,
                TableName=name,
                PartitionValueList=list(values),
                PartitionInput=self._input(sd, values, uri),
            )
        for i in range(0, len(drop), 25):
            self.glue.batch_delete_partition(
                DatabaseName=database, TableName=name, PartitionsToDelete=[{"Values": v} for v in drop[i : i + 25]]
            )
        return {"created": len(create), "updated": len(update), "dropped": len(drop)}

    @staticmethod
    def _input(sd: dict[str, Any], values: tuple[str, ...], uri: str) -> dict[str, Any]:
        return {"Values": list(values), "StorageDescriptor": {**sd, "Location": uri}}

    def _move_location(self, database: str, glue_table: dict[str, Any], table: Table) -> dict[str, int]:
        part = table.partitions.get("")
        if part is None or part.rows == 0 or glue_table["StorageDescriptor"]["Location"] == table.uri(""):
            return {"updated": 0}
        table_input = {k: glue_table[k] for k in _TABLE_INPUT_KEYS if k in glue_table}
        table_input["StorageDescriptor"] = {**glue_table["StorageDescriptor"], "Location": table.uri("")}
        self.glue.update_table(DatabaseName=database, TableInput=table_input)
        return {"updated": 1}
