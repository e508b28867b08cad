# Athena: one workgroup per persona with its configuration enforced (results KMS-encrypted in the
# athena-results bucket, a bytes-scanned cut-off, CloudWatch metrics), the persona role's IAM
# access to its own workgroup, and a named query for every SQL file under src/sql.

data "aws_partition" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  results_arn = "arn:${local.partition}:s3:::${var.results_bucket}"

  # The SQL files qualify tables by zone (raw.quarantine, analytics.city_demand), as the local
  # DuckDB lake does; in Athena each zone is the environment's Glue database, so the qualifier is
  # rewritten to the database name. A qualifier is a zone name followed by "." and not preceded by
  # a name character, a dot or a quote.
  zone_pattern = { for zone in keys(var.databases) : zone => "/(^|[^A-Za-z0-9_.\"'])${zone}\\./" }
  sql = {
    for name, text in var.queries : name => replace(replace(replace(text,
      local.zone_pattern["raw"], "$${1}${var.databases["raw"]}."),
      local.zone_pattern["transform"], "$${1}${var.databases["transform"]}."),
    local.zone_pattern["analytics"], "$${1}${var.databases["analytics"]}.")
  }

  # One named query per (persona workgroup, SQL file).
  named_queries = merge([
    for persona in keys(var.personas) : {
      for name in keys(var.queries) : "${persona}/${name}" => { persona = persona, name = name, sql = local.sql[name] }
    }
  ]...)
}

resource "aws_athena_workgroup" "this" {
  for_each = var.personas

  name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description   = "Energy lake queries for the ${each.key} persona."
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.results_bucket}/${each.key}/"
      expected_bucket_owner = var.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = {
    Persona = each.key
  }
}

resource "aws_athena_named_query" "this" {
  for_each = local.named_queries

  name        = each.value.name
  description = "src/sql/${each.value.name}.sql"
  workgroup   = aws_athena_workgroup.this[each.value.persona].id
  database    = var.query_database
  query       = each.value.sql
}

# ---------------------------------------------------------------------------------------------
# Persona access: its own workgroup and results prefix; the catalog read is coarse here because
# Lake Formation decides which tables and columns each persona sees.
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "persona" {
  for_each = var.personas

  statement {
    sid = "OwnWorkgroup"
    actions = [
      "athena:StartQueryExecution",
      "athena:StopQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetQueryResultsStream",
      "athena:ListQueryExecutions",
      "athena:BatchGetQueryExecution",
      "athena:GetWorkGroup",
      "athena:ListNamedQueries",
      "athena:GetNamedQuery",
      "athena:BatchGetNamedQuery",
    ]
    resources = [aws_athena_workgroup.this[each.key].arn]
  }

  statement {
    sid = "CatalogRead"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
    ]
    resources = concat(
      ["arn:${local.partition}:glue:${var.region}:${var.account_id}:catalog"],
      [for db in values(var.databases) : "arn:${local.partition}:glue:${var.region}:${var.account_id}:database/${db}"],
      [for db in values(var.databases) : "arn:${local.partition}:glue:${var.region}:${var.account_id}:table/${db}/*"],
    )
  }

  statement {
    # Lake Formation vends table data; the action has no resource-level form.
    sid       = "LakeFormationAccess"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"]
  }

  statement {
    sid       = "OwnResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.results_arn}/${each.key}/*"]
  }

  statement {
    sid       = "ResultsBucketList"
    actions   = ["s3:ListBucket"]
    resources = [local.results_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${each.key}/*"]
    }
  }

  statement {
    # Athena checks the results bucket's region with GetBucketLocation, which carries no s3:prefix
    # (that key belongs to ListBucket only: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html),
    # so under the prefix condition above it would be denied and every query would fail.
    sid       = "ResultsBucketLocation"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.results_arn]
  }

  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "persona" {
  for_each = var.personas

  name   = "athena-${replace(each.key, "_", "-")}"
  role   = each.value
  policy = data.aws_iam_policy_document.persona[each.key].json
}
