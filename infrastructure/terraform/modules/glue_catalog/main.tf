# Glue Data Catalog: one database per catalogued zone and every lake table, derived from the
# contracts exactly as src/etl/schemas.py derives the Spark schemas. Tables are registered, not
# projected: the jobs point partitions (and snapshot table locations) at the run folder the lake
# catalog committed (see README.md and docs/adr/0001).

locals {
  pk = {
    name    = var.lake.partition_key.name
    type    = var.lake.partition_key.type
    comment = "Ingestion date (partition)."
  }

  # Glue/Hive type strings: the contract types without spaces ("decimal(18, 3)" -> "decimal(18,3)").
  lineage = [for c in var.lake.lineage : { name = c.name, type = replace(c.type, " ", ""), comment = c.description }]
  extra   = [{ name = var.lake.extra_column.name, type = replace(var.lake.extra_column.type, " ", ""), comment = var.lake.extra_column.description }]

  # raw.<entity>: every contract column as text, the extra-column map, lineage; partitioned by ingest date.
  raw_tables = {
    for entity, c in var.contracts : "raw.${entity}" => {
      zone        = "raw"
      name        = entity
      description = "Raw ${entity}: rows that passed validation, as text, with lineage. ${c.description}"
      columns = concat(
        [for col in c.columns : { name = col.name, type = "string", comment = col.description }],
        local.extra,
        local.lineage,
      )
      partition_keys = [local.pk]
      pii_columns    = [for col in c.columns : col.name if col.pii]
    }
  }

  # raw.quarantine: quarantine columns and lineage; the partition columns (entity, ingest date) are
  # folder names, so they are partition keys and not data columns.
  quarantine_all_columns = concat(
    [for c in var.lake.quarantine_columns : { name = c.name, type = replace(c.type, " ", ""), comment = c.description }],
    local.lineage,
    [local.pk],
  )
  quarantine_table = {
    "raw.${var.lake.quarantine_table}" = {
      zone           = "raw"
      name           = var.lake.quarantine_table
      description    = "Rows that failed validation, with the rule, a readable reason and the record as sent."
      columns        = [for c in local.quarantine_all_columns : c if !contains(var.quarantine_partition_by, c.name)]
      partition_keys = [for k in var.quarantine_partition_by : one([for c in local.quarantine_all_columns : c if c.name == k])]
      pii_columns    = []
    }
  }

  # transform.<entity>: typed contract columns, derived columns, extras, lineage; partitioned only
  # when the contract's transform layout is "partitioned" (snapshot tables are one current folder).
  transform_tables = {
    for entity, c in var.contracts : "transform.${entity}" => {
      zone        = "transform"
      name        = entity
      description = "Typed, deduplicated ${entity} (${c.transform_layout}); pii columns hold keyed tokens. ${c.description}"
      columns = concat(
        [for col in concat(c.columns, c.derived) : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }],
        local.extra,
        local.lineage,
      )
      partition_keys = c.transform_layout == "partitioned" ? [local.pk] : []
      pii_columns    = [for col in c.columns : col.name if col.pii]
    }
  }

  # analytics.<mart>: mart columns; partitioned by ingest date when the mart has a partition_by.
  mart_tables = {
    for m in var.marts : "analytics.${m.name}" => {
      zone           = "analytics"
      name           = m.name
      description    = m.description
      columns        = [for col in m.columns : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }]
      partition_keys = length(m.partition_by) > 0 ? [local.pk] : []
      pii_columns    = []
    }
  }

  # Tables described by generated files (the data quality results): columns and keys as given.
  extra_tables = {
    for key, t in var.extra_tables : key => {
      zone           = split(".", key)[0]
      name           = split(".", key)[1]
      description    = t.description
      columns        = [for col in t.columns : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }]
      partition_keys = [for col in t.partition_keys : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }]
      pii_columns    = []
    }
  }

  tables = merge(local.raw_tables, local.quarantine_table, local.transform_tables, local.mart_tables, local.extra_tables)

  partitioned_tables = { for k, t in local.tables : k => t if length(t.partition_keys) > 0 }
  snapshot_tables    = { for k, t in local.tables : k => t if length(t.partition_keys) == 0 }

  # compression: what the jobs write (spark.sql.parquet.compression.codec in src/etl/session.py; a test compares).
  parquet = {
    compression   = "ZSTD"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    serde         = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  }
}

resource "aws_glue_catalog_database" "this" {
  for_each = var.databases

  name         = each.value
  description  = "${var.database_description}: ${each.key} zone."
  location_uri = var.zone_uris[each.key]

  parameters = {
    "energy_lake.zone" = each.key
  }
}

# Partitioned tables: the jobs create/re-point partitions at ingest_date=D/run=<run_id>/ after
# each commit; the table location itself never moves.
resource "aws_glue_catalog_table" "this" {
  for_each = local.partitioned_tables

  database_name = aws_glue_catalog_database.this[each.value.zone].name
  name          = each.value.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                = "TRUE"
    classification          = "parquet"
    "parquet.compression"   = local.parquet.compression
    "energy_lake.zone"      = each.value.zone
    "energy_lake.layout"    = "partitioned"
    "energy_lake.versioned" = "run folders; partitions registered by the jobs after each lake commit"
  }

  storage_descriptor {
    location      = "${var.zone_uris[each.value.zone]}/${each.value.name}"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format

    ser_de_info {
      name                  = "parquet"
      serialization_library = local.parquet.serde
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment == "" ? null : substr(columns.value.comment, 0, 255)
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment == "" ? null : substr(partition_keys.value.comment, 0, 255)
    }
  }
}

# Unpartitioned (snapshot) tables: every version is a run=<run_id>/ folder and the jobs move the
# table location to the committed one, so Terraform creates the table and then leaves the
# location to the jobs.
resource "aws_glue_catalog_table" "snapshot" {
  for_each = local.snapshot_tables

  database_name = aws_glue_catalog_database.this[each.value.zone].name
  name          = each.value.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                = "TRUE"
    classification          = "parquet"
    "parquet.compression"   = local.parquet.compression
    "energy_lake.zone"      = each.value.zone
    "energy_lake.layout"    = "snapshot"
    "energy_lake.versioned" = "run folders; table location moved by the jobs after each lake commit"
  }

  storage_descriptor {
    location      = "${var.zone_uris[each.value.zone]}/${each.value.name}"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format

    ser_de_info {
      name                  = "parquet"
      serialization_library = local.parquet.serde
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment == "" ? null : substr(columns.value.comment, 0, 255)
      }
    }
  }

  lifecycle {
    ignore_changes = [storage_descriptor[0].location]
  }
}

# ---------------------------------------------------------------------------------------------
# Data quality: the rules of docs/data-quality.md as Glue DQDL rulesets, one per table.
# CustomSql rules name other tables as ${<zone>_database}.<table>, resolved here.
# ---------------------------------------------------------------------------------------------

resource "aws_glue_data_quality_ruleset" "this" {
  for_each = var.dq_rulesets

  name        = "${aws_glue_catalog_database.this[split(".", each.key)[0]].name}-${split(".", each.key)[1]}"
  description = "Data quality rules of ${each.key}, generated from the contracts (docs/data-quality.md)."
  ruleset     = templatestring(each.value, { for zone, db in aws_glue_catalog_database.this : "${zone}_database" => db.name })

  target_table {
    database_name = aws_glue_catalog_database.this[split(".", each.key)[0]].name
    table_name    = split(".", each.key)[1]
  }

  depends_on = [aws_glue_catalog_table.this, aws_glue_catalog_table.snapshot]
}
