# Glue Data Catalog: one database per catalogued zone and every lake table as an Apache Iceberg
# (format v2) table, derived from the contracts exactly as src/etl/lake/tables.py derives the Spark
# tables. Terraform owns each table's existence, columns and location (and so its LF-tags and
# grants); the jobs own its data, snapshots and partition spec (docs/adr/0002: provider 5.x cannot
# create an Iceberg table's partitions, so the first write adds the contract's partition fields).

locals {
  pk = {
    name    = var.lake.partition_key.name
    type    = var.lake.partition_key.type
    comment = "Ingestion date (partition)."
  }

  # Glue/Hive type strings: the contract types without spaces ("decimal(18, 3)" -> "decimal(18,3)").
  lineage = [for c in var.lake.lineage : { name = c.name, type = replace(c.type, " ", ""), comment = c.description }]
  extra   = [{ name = var.lake.extra_column.name, type = replace(var.lake.extra_column.type, " ", ""), comment = var.lake.extra_column.description }]
  # Raw only: the file's notation (how its dates are written), for the transform to read them.
  notation = [{ name = var.lake.notation_column.name, type = var.lake.notation_column.type, comment = var.lake.notation_column.description }]

  # raw.<entity>: every contract column as text, the extra-column map, the notation, lineage, the ingest date.
  raw_tables = {
    for entity, c in var.contracts : "raw.${entity}" => {
      zone        = "raw"
      name        = entity
      description = "Raw ${entity}: rows that passed validation, as text, with lineage. ${c.description}"
      columns = concat(
        [for col in c.columns : { name = col.name, type = "string", comment = col.description }],
        local.extra,
        local.notation,
        local.lineage,
        [local.pk],
      )
      partition_by = [local.pk.name]
      pii_columns  = [for col in c.columns : col.name if col.pii]
    }
  }

  # raw.quarantine: quarantine columns, lineage, the ingest date; partitioned by entity and date.
  quarantine_table = {
    "raw.${var.lake.quarantine_table}" = {
      zone        = "raw"
      name        = var.lake.quarantine_table
      description = "Rows that failed validation, with the rule, a readable reason and the record as sent."
      columns = concat(
        [for c in var.lake.quarantine_columns : { name = c.name, type = replace(c.type, " ", ""), comment = c.description }],
        local.lineage,
        [local.pk],
      )
      partition_by = var.quarantine_partition_by
      pii_columns  = []
    }
  }

  # transform.<entity>: typed contract columns, derived columns, extras, lineage; the ingest date
  # (and partitioning by it) only when the contract's transform layout is "partitioned".
  transform_tables = {
    for entity, c in var.contracts : "transform.${entity}" => {
      zone        = "transform"
      name        = entity
      description = "Typed, deduplicated ${entity} (${c.transform_layout}); pii columns hold keyed tokens. ${c.description}"
      columns = concat(
        [for col in concat(c.columns, c.derived) : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }],
        local.extra,
        local.lineage,
        c.transform_layout == "partitioned" ? [local.pk] : [],
      )
      partition_by = c.transform_layout == "partitioned" ? [local.pk.name] : []
      pii_columns  = [for col in c.columns : col.name if col.pii]
    }
  }

  # analytics.<mart>: mart columns, then the ingest date when the mart has a partition_by.
  mart_tables = {
    for m in var.marts : "analytics.${m.name}" => {
      zone        = "analytics"
      name        = m.name
      description = m.description
      columns = concat(
        [for col in m.columns : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }],
        length(m.partition_by) > 0 ? [local.pk] : [],
      )
      partition_by = length(m.partition_by) > 0 ? [local.pk.name] : []
      pii_columns  = []
    }
  }

  # The lake's incremental state (lake.yaml state_tables): columns and partition fields as declared.
  state_tables = {
    for t in var.lake.state_tables : "${t.zone}.${t.name}" => {
      zone         = t.zone
      name         = t.name
      description  = t.description
      columns      = [for col in t.columns : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }]
      partition_by = t.partition_by
      pii_columns  = []
    }
  }

  # Tables described by generated files (the data quality results): columns, then the partition columns.
  extra_tables = {
    for key, t in var.extra_tables : key => {
      zone         = split(".", key)[0]
      name         = split(".", key)[1]
      description  = t.description
      columns      = [for col in concat(t.columns, t.partition_keys) : { name = col.name, type = replace(col.type, " ", ""), comment = col.description }]
      partition_by = [for col in t.partition_keys : col.name]
      pii_columns  = []
    }
  }

  tables = merge(local.raw_tables, local.quarantine_table, local.transform_tables, local.mart_tables, local.state_tables, local.extra_tables)
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

# Every lake table: Glue writes the first Iceberg metadata (format v2) from these columns. From then
# on each Iceberg commit of a job replaces the table's metadata_location and column list, so those
# are the jobs' and Terraform ignores their changes (a contract change reaches an existing table
# through the jobs; docs/operations.md).
resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  database_name = aws_glue_catalog_database.this[each.value.zone].name
  name          = each.value.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    "energy_lake.zone" = each.value.zone
    # The contract's partition fields, which the first write adds (Iceberg partition evolution on an
    # empty table is a metadata-only change): a reader of the catalog sees what the table will be.
    "energy_lake.partition_by" = join(",", each.value.partition_by)
  }

  open_table_format_input {
    iceberg_input {
      metadata_operation = "CREATE"
      version            = var.iceberg_format_version
    }
  }

  storage_descriptor {
    location = "${var.zone_uris[each.value.zone]}/${each.value.name}"

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
    ignore_changes = [parameters, storage_descriptor, open_table_format_input]
  }
}

# ---------------------------------------------------------------------------------------------
# Table maintenance: the Glue Data Catalog's managed optimizers (compaction, snapshot retention,
# orphan file deletion) on every table, with the figures of lake.yaml `maintenance` (the same that
# `energy-lake maintain` uses locally; docs/operations.md). They run as one role of their own.
# ---------------------------------------------------------------------------------------------

data "aws_partition" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  zone_buckets = { for zone, uri in var.zone_uris : zone => split("/", trimprefix(uri, "s3://"))[0] }
  optimizers   = var.maintenance.enabled ? toset(["compaction", "retention", "orphan_file_deletion"]) : toset([])
  table_optimizers = {
    for pair in setproduct(keys(local.tables), local.optimizers) : "${pair[0]}/${pair[1]}" => { table = pair[0], type = pair[1] }
  }
}

# No aws:Source* condition, as for the job roles (modules/glue_jobs): AWS documents no such key sent when
# Glue assumes a role, and none in the optimizer role's requirements
# (https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html).
data "aws_iam_policy_document" "optimizer_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "optimizer" {
  name                 = "${var.name_prefix}-table-optimizer"
  description          = "Glue Data Catalog table optimizers of the lake's Iceberg tables: compaction, snapshot retention, orphan file deletion."
  assume_role_policy   = data.aws_iam_policy_document.optimizer_assume.json
  max_session_duration = 3600
}

# What AWS documents for the optimizer role (https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html):
# read/write the table data, GetTable/UpdateTable on the table, its database and the catalog, and its
# own log groups; for locations registered with Lake Formation, GetDataAccess plus the Lake Formation
# grants the lake_formation module gives this role. The lake key, because every zone object is SSE-KMS.
data "aws_iam_policy_document" "optimizer" {
  statement {
    sid       = "TableData"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for b in values(local.zone_buckets) : "arn:${local.partition}:s3:::${b}/*"]
  }
  statement {
    sid       = "TableBuckets"
    actions   = ["s3:ListBucket"]
    resources = [for b in values(local.zone_buckets) : "arn:${local.partition}:s3:::${b}"]
  }
  statement {
    sid     = "Catalog"
    actions = ["glue:GetTable", "glue:UpdateTable"]
    resources = concat(
      ["arn:${local.partition}:glue:${var.region}:${var.account_id}:catalog"],
      [for db in values(var.databases) : "arn:${local.partition}:glue:${var.region}:${var.account_id}:database/${db}"],
      [for t in values(local.tables) : "arn:${local.partition}:glue:${var.region}:${var.account_id}:table/${var.databases[t.zone]}/${t.name}"],
    )
  }
  statement {
    sid     = "Logs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      for group in ["iceberg-compaction", "iceberg-retention", "iceberg-orphan-file-deletion"] :
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws-glue/${group}/logs:*"
    ]
  }
  statement {
    # Lake Formation vends access to the registered zone locations; the action has no resource-level form.
    sid       = "LakeFormationAccess"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "optimizer" {
  name   = "table-maintenance"
  role   = aws_iam_role.optimizer.id
  policy = data.aws_iam_policy_document.optimizer.json
}

resource "aws_glue_catalog_table_optimizer" "this" {
  for_each = local.table_optimizers

  catalog_id    = var.account_id
  database_name = aws_glue_catalog_table.this[each.value.table].database_name
  table_name    = aws_glue_catalog_table.this[each.value.table].name
  type          = each.value.type

  configuration {
    enabled  = true
    role_arn = aws_iam_role.optimizer.arn

    dynamic "retention_configuration" {
      for_each = each.value.type == "retention" ? [1] : []
      content {
        iceberg_configuration {
          snapshot_retention_period_in_days = var.maintenance.snapshot_retention_days
          number_of_snapshots_to_retain     = var.maintenance.min_snapshots_to_keep
          clean_expired_files               = true
        }
      }
    }

    dynamic "orphan_file_deletion_configuration" {
      for_each = each.value.type == "orphan_file_deletion" ? [1] : []
      content {
        iceberg_configuration {
          orphan_file_retention_period_in_days = var.maintenance.orphan_file_retention_days
          location                             = "${var.zone_uris[local.tables[each.value.table].zone]}/${local.tables[each.value.table].name}"
        }
      }
    }
  }

  depends_on = [aws_iam_role_policy.optimizer]
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

  depends_on = [aws_glue_catalog_table.this]
}
