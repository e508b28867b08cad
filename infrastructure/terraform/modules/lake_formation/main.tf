# Lake Formation: administrators, registered zone locations, LF-tags derived from the contracts,
# persona roles and their grants by LF-tag policy (from src/contracts/personas.yaml), data cells
# filters that keep pii columns from personas without the restricted classification, the grants
# the Glue jobs need to read and commit to the Iceberg tables, and those of the table optimizers.
#
# The derivation, kept deliberately small so a test can compare it set for set with the Python one:
#   - every database carries zone=<zone> and classification=general (inherited by tables, columns);
#   - a column whose contract marks it pii carries classification=restricted;
#   - the quarantine table carries classification=restricted (it holds records as sent, PII included);
#   - persona P gets DESCRIBE on databases tagged zone in P.zones, and SELECT+DESCRIBE on the
#     table columns tagged zone in P.zones AND classification in P.classifications;
#   - persona P reads the quarantine table by name when P.quarantine is true.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  lf_tags = {
    zone           = sort(keys(var.databases))
    classification = ["general", "restricted"]
  }

  # Whole tables classified restricted: the quarantine (records as sent, PII included).
  restricted_tables = { for k, t in var.tables : k => t if k == var.quarantine_table }
  pii_tables        = { for k, t in var.tables : k => t if length(t.pii_columns) > 0 && k != var.quarantine_table }

  # Personas that must not see restricted columns, and the tables with pii columns in their zones.
  pii_blind_personas = { for p, v in var.personas : p => v if !contains(v.classifications, "restricted") }
  filters = {
    for k, t in local.pii_tables : k => t
    if anytrue([for p in values(local.pii_blind_personas) : contains(p.zones, t.zone)])
  }
  filter_grants = merge([
    for p, v in local.pii_blind_personas : {
      for k, t in local.filters : "${p}/${k}" => { persona = p, table = k } if contains(v.zones, t.zone)
    }
  ]...)

  quarantine_readers = { for p, v in var.personas : p => v if v.quarantine }

  # The grant set, flattened: one (persona, zone, classification) triple per element.
  grant_triples = flatten([
    for p, v in var.personas : [
      for z in v.zones : [for c in v.classifications : { persona = p, zone = z, classification = c }]
    ]
  ])
}

resource "aws_lakeformation_data_lake_settings" "this" {
  admins = var.admins
  # No create_database/table_default_permissions: IAMAllowedPrincipals gets nothing on new
  # databases and tables, so Lake Formation grants alone decide who reads what.
}

# ---------------------------------------------------------------------------------------------
# Registered locations: the catalogued zone buckets, with a role Lake Formation vends access from.
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "data_access_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lakeformation.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "data_access" {
  name                 = "${var.name_prefix}-lf-data-access"
  description          = "Lake Formation vends access to the registered zone locations through this role."
  assume_role_policy   = data.aws_iam_policy_document.data_access_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "data_access" {
  statement {
    sid       = "ZoneObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for arn in values(var.zone_bucket_arns) : "${arn}/*"]
  }
  statement {
    sid       = "ZoneBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = values(var.zone_bucket_arns)
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "data_access" {
  name   = "registered-locations"
  role   = aws_iam_role.data_access.id
  policy = data.aws_iam_policy_document.data_access.json
}

resource "aws_lakeformation_resource" "this" {
  for_each = var.zone_bucket_arns

  arn      = each.value
  role_arn = aws_iam_role.data_access.arn

  depends_on = [aws_iam_role_policy.data_access, aws_lakeformation_data_lake_settings.this]
}

# ---------------------------------------------------------------------------------------------
# LF-tags and their assignment
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_lf_tag" "this" {
  for_each = local.lf_tags

  key    = each.key
  values = each.value

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_resource_lf_tags" "database" {
  for_each = var.databases

  database {
    name = each.value
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["zone"].key
    value = each.key
  }
  lf_tag {
    key   = aws_lakeformation_lf_tag.this["classification"].key
    value = "general"
  }
}

resource "aws_lakeformation_resource_lf_tags" "restricted_table" {
  for_each = local.restricted_tables

  table {
    database_name = each.value.database
    name          = each.value.name
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["classification"].key
    value = "restricted"
  }

  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

resource "aws_lakeformation_resource_lf_tags" "pii_columns" {
  for_each = local.pii_tables

  table_with_columns {
    database_name = each.value.database
    name          = each.value.name
    column_names  = each.value.pii_columns
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["classification"].key
    value = "restricted"
  }

  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

# ---------------------------------------------------------------------------------------------
# Personas: one role each, grants by LF-tag policy
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "persona_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.persona_trusted_principals
    }
  }
}

resource "aws_iam_role" "persona" {
  for_each = var.personas

  name                 = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description          = substr(each.value.description, 0, 1000)
  assume_role_policy   = data.aws_iam_policy_document.persona_assume.json
  max_session_duration = 3600
}

resource "aws_lakeformation_permissions" "persona_databases" {
  for_each = var.personas

  principal   = aws_iam_role.persona[each.key].arn
  permissions = ["DESCRIBE"]

  lf_tag_policy {
    resource_type = "DATABASE"
    expression {
      key    = aws_lakeformation_lf_tag.this["zone"].key
      values = each.value.zones
    }
  }

  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

resource "aws_lakeformation_permissions" "persona_tables" {
  for_each = var.personas

  principal   = aws_iam_role.persona[each.key].arn
  permissions = ["SELECT", "DESCRIBE"]

  lf_tag_policy {
    resource_type = "TABLE"
    expression {
      key    = aws_lakeformation_lf_tag.this["zone"].key
      values = each.value.zones
    }
    expression {
      key    = aws_lakeformation_lf_tag.this["classification"].key
      values = each.value.classifications
    }
  }

  depends_on = [
    aws_lakeformation_resource_lf_tags.database,
    aws_lakeformation_resource_lf_tags.pii_columns,
    aws_lakeformation_resource_lf_tags.restricted_table,
  ]
}

resource "aws_lakeformation_permissions" "quarantine" {
  for_each = local.quarantine_readers

  principal   = aws_iam_role.persona[each.key].arn
  permissions = ["SELECT", "DESCRIBE"]

  table {
    database_name = var.tables[var.quarantine_table].database
    name          = var.tables[var.quarantine_table].name
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# ---------------------------------------------------------------------------------------------
# Data cells filters: the tables with pii columns, without those columns, for the personas that
# lack the restricted classification.
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_data_cells_filter" "this" {
  for_each = local.filters

  table_data {
    table_catalog_id = var.account_id
    database_name    = each.value.database
    table_name       = each.value.name
    name             = "${each.value.name}_without_pii"

    column_wildcard {
      excluded_column_names = each.value.pii_columns
    }

    row_filter {
      all_rows_wildcard {}
    }
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "filter" {
  for_each = local.filter_grants

  principal   = aws_iam_role.persona[each.value.persona].arn
  permissions = ["SELECT"]

  data_cells_filter {
    table_catalog_id = var.account_id
    database_name    = aws_lakeformation_data_cells_filter.this[each.value.table].table_data[0].database_name
    table_name       = aws_lakeformation_data_cells_filter.this[each.value.table].table_data[0].table_name
    name             = aws_lakeformation_data_cells_filter.this[each.value.table].table_data[0].name
  }
}

# ---------------------------------------------------------------------------------------------
# Glue jobs: commit to the Iceberg tables of the zones they write, read those of the zones they read.
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_permissions" "writer_databases" {
  for_each = var.writers

  principal   = each.value.role_arn
  permissions = ["DESCRIBE"]

  lf_tag_policy {
    resource_type = "DATABASE"
    expression {
      key    = aws_lakeformation_lf_tag.this["zone"].key
      values = distinct(concat(each.value.zones, each.value.read_zones))
    }
  }

  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

resource "aws_lakeformation_permissions" "writer_tables" {
  for_each = var.writers

  principal   = each.value.role_arn
  permissions = ["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]

  lf_tag_policy {
    resource_type = "TABLE"
    expression {
      key    = aws_lakeformation_lf_tag.this["zone"].key
      values = each.value.zones
    }
    expression {
      key    = aws_lakeformation_lf_tag.this["classification"].key
      values = local.lf_tags.classification
    }
  }

  depends_on = [
    aws_lakeformation_resource_lf_tags.database,
    aws_lakeformation_resource_lf_tags.pii_columns,
    aws_lakeformation_resource_lf_tags.restricted_table,
  ]
}

resource "aws_lakeformation_permissions" "writer_locations" {
  for_each = merge([
    for job, w in var.writers : { for z in w.zones : "${job}/${z}" => { role_arn = w.role_arn, zone = z } }
  ]...)

  principal   = each.value.role_arn
  permissions = ["DATA_LOCATION_ACCESS"]

  data_location {
    arn = aws_lakeformation_resource.this[each.value.zone].arn
  }
}

resource "aws_lakeformation_permissions" "writer_shared_tables" {
  for_each = merge([
    for job, w in var.writers : { for t in w.tables : "${job}/${t}" => { role_arn = w.role_arn, table = t } }
  ]...)

  principal   = each.value.role_arn
  permissions = ["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]

  table {
    database_name = var.tables[each.value.table].database
    name          = var.tables[each.value.table].name
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "reader_tables" {
  for_each = { for job, w in var.writers : job => w if length(w.read_zones) > 0 }

  principal   = each.value.role_arn
  permissions = ["SELECT", "DESCRIBE"]

  lf_tag_policy {
    resource_type = "TABLE"
    expression {
      key    = aws_lakeformation_lf_tag.this["zone"].key
      values = each.value.read_zones
    }
    expression {
      key    = aws_lakeformation_lf_tag.this["classification"].key
      values = local.lf_tags.classification
    }
  }

  depends_on = [
    aws_lakeformation_resource_lf_tags.database,
    aws_lakeformation_resource_lf_tags.pii_columns,
    aws_lakeformation_resource_lf_tags.restricted_table,
  ]
}

# ---------------------------------------------------------------------------------------------
# Table optimizers: on Lake Formation tables their role needs ALTER, DESCRIBE, INSERT and DELETE
# (https://docs.aws.amazon.com/glue/latest/dg/enable-auto-table-optimizers.html), granted table by
# table so the grant set is exactly the catalogued tables.
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_permissions" "maintainer_tables" {
  for_each = var.tables

  principal   = var.table_maintainer_role_arn
  permissions = ["ALTER", "DESCRIBE", "INSERT", "DELETE"]

  table {
    database_name = each.value.database
    name          = each.value.name
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}
