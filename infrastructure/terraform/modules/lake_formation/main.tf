# Lake Formation (after the account settings of modules/lake_settings): registered zone locations, LF-tags derived from the contracts,
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

  # Every grant, in three kinds, keyed by grantee ("persona/<p>", "writer/<job>", "reader/<job>",
  # "maintainer") and, for named tables, the table. Personas read by LF-tags; a Glue job commits to its
  # zone's tables and reads those of its input zone; named tables are what a grantee reaches beyond
  # its tags: the quarantine, the tables a job writes outside its zone, every table for the table
  # optimizers (ALTER, DESCRIBE, INSERT, DELETE, as AWS documents for optimizers on Lake Formation
  # tables: https://docs.aws.amazon.com/glue/latest/dg/enable-auto-table-optimizers.html).
  read_permissions       = ["SELECT", "DESCRIBE"]
  writer_permissions     = ["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]
  maintainer_permissions = ["ALTER", "DESCRIBE", "INSERT", "DELETE"]

  database_tag_grants = merge(
    { for p, v in var.personas : "persona/${p}" => { principal = aws_iam_role.persona[p].arn, zones = v.zones } },
    { for job, w in var.writers : "job/${job}" => { principal = w.role_arn, zones = distinct(concat(w.zones, w.read_zones)) } },
  )
  table_tag_grants = merge(
    { for p, v in var.personas : "persona/${p}" => {
      principal       = aws_iam_role.persona[p].arn
      permissions     = local.read_permissions
      zones           = v.zones
      classifications = v.classifications
    } },
    { for job, w in var.writers : "writer/${job}" => {
      principal       = w.role_arn
      permissions     = local.writer_permissions
      zones           = w.zones
      classifications = local.lf_tags.classification
    } },
    { for job, w in var.writers : "reader/${job}" => {
      principal       = w.role_arn
      permissions     = local.read_permissions
      zones           = w.read_zones
      classifications = local.lf_tags.classification
    } if length(w.read_zones) > 0 },
  )
  named_table_grants = merge(
    { for p, v in local.quarantine_readers : "persona/${p}/${var.quarantine_table}" => {
      principal = aws_iam_role.persona[p].arn, permissions = local.read_permissions, table = var.quarantine_table
    } },
    merge([for job, w in var.writers : { for t in w.tables : "writer/${job}/${t}" => {
      principal = w.role_arn, permissions = local.writer_permissions, table = t
    } }]...),
    { for t in keys(var.tables) : "maintainer/${t}" => {
      principal = var.table_maintainer_role_arn, permissions = local.maintainer_permissions, table = t
    } },
  )

  # The grant set, flattened: one (persona, zone, classification) triple per element.
  grant_triples = flatten([
    for p, v in var.personas : [
      for z in v.zones : [for c in v.classifications : { persona = p, zone = z, classification = c }]
    ]
  ])
}

# ---------------------------------------------------------------------------------------------
# Registered locations: the catalogued zone buckets, with a role Lake Formation vends access from.
# ---------------------------------------------------------------------------------------------

# A location-registration role "must have trust relationships with glue.amazonaws.com and
# lakeformation.amazonaws.com", and the trust policy AWS documents for it has no aws:Source* condition
# (https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html). sts:SetContext, which
# that page adds for IAM Identity Center user context, is left out: the lake has no Identity Center users.
data "aws_iam_policy_document" "data_access_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com", "lakeformation.amazonaws.com"]
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

  depends_on = [aws_iam_role_policy.data_access]
}

# ---------------------------------------------------------------------------------------------
# LF-tags and their assignment
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_lf_tag" "this" {
  for_each = local.lf_tags

  key    = each.key
  values = each.value
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
# Personas: one role each (their grants are below, with the others)
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
# Grants (local.*_grants): personas by LF-tag policy; each Glue job commits to the Iceberg tables of
# the zone it writes and reads those of the zone it reads; named tables beyond the tags.
# ---------------------------------------------------------------------------------------------

resource "aws_lakeformation_permissions" "databases" {
  for_each = local.database_tag_grants

  principal   = each.value.principal
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

resource "aws_lakeformation_permissions" "tables" {
  for_each = local.table_tag_grants

  principal   = each.value.principal
  permissions = each.value.permissions

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

resource "aws_lakeformation_permissions" "named_tables" {
  for_each = local.named_table_grants

  principal   = each.value.principal
  permissions = each.value.permissions

  table {
    database_name = var.tables[each.value.table].database
    name          = var.tables[each.value.table].name
  }
}

# A job writes data files in its zones and in the zones of the further tables it writes (every job
# writes the shared quality_results table in the analytics zone).
resource "aws_lakeformation_permissions" "writer_locations" {
  for_each = merge([
    for job, w in var.writers : {
      for z in distinct(concat(w.zones, [for t in w.tables : var.tables[t].zone])) : "${job}/${z}" => { role_arn = w.role_arn, zone = z }
    }
  ]...)

  principal   = each.value.role_arn
  permissions = ["DATA_LOCATION_ACCESS"]

  data_location {
    arn = aws_lakeformation_resource.this[each.value.zone].arn
  }
}
