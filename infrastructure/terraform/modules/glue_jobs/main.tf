# Glue jobs: the three hops (landing_to_raw, raw_to_transform, transform_to_analytics), one
# least-privilege role per job, a security configuration (S3, CloudWatch and bookmark encryption
# with the lake key), the SSM parameter that holds the PII token key, and a workflow that starts on
# a schedule and chains the jobs with conditional triggers.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # What each job reads and writes (zones). The catalogued zones among them are Iceberg tables in
  # the Glue Data Catalog; landing is files.
  access = {
    landing_to_raw         = { read = ["landing"], write = ["raw"], pii_key = false }
    raw_to_transform       = { read = ["raw"], write = ["transform"], pii_key = true }
    transform_to_analytics = { read = ["transform"], write = ["analytics"], pii_key = false }
  }
  # The workflow order: each job starts when the previous one succeeded.
  order = ["landing_to_raw", "raw_to_transform", "transform_to_analytics"]

  job_names = { for job in keys(var.jobs) : job => "${var.name_prefix}-${job}" }

  # One NETWORK connection per private subnet, named after its zone, listed in the subnets' order.
  connection_names = [for s in var.network.subnets : "${var.name_prefix}-${s.availability_zone}"]
  connections      = zipmap(local.connection_names, var.network.subnets)
  script_keys      = { for job in keys(var.jobs) : job => "${var.script_prefix}${job}.py" }

  catalogued    = ["raw", "transform", "analytics"]
  catalog_reads = { for job in keys(var.jobs) : job => [for z in local.access[job].read : z if contains(local.catalogued, z)] }

  # The Iceberg catalog the job code names `lake`, bound to the Glue Data Catalog as AWS documents for
  # Glue 5.1 (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html),
  # with `--datalake-formats iceberg`. Every table has its own location (Terraform created it); the
  # warehouse GlueCatalog requires is the raw zone root. src/etl/lake/iceberg.py names the catalog.
  iceberg_conf = join(" --conf ", [
    "spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    "spark.sql.catalog.${var.iceberg_catalog}=org.apache.iceberg.spark.SparkCatalog",
    "spark.sql.catalog.${var.iceberg_catalog}.warehouse=${var.zone_uris["raw"]}/",
    "spark.sql.catalog.${var.iceberg_catalog}.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog",
    "spark.sql.catalog.${var.iceberg_catalog}.io-impl=org.apache.iceberg.aws.s3.S3FileIO",
  ])

  bucket_of     = { for zone, uri in var.zone_uris : zone => split("/", trimprefix(uri, "s3://"))[0] }
  state_bucket  = split("/", trimprefix(var.state_uri, "s3://"))[0]
  state_prefix  = join("/", slice(split("/", trimprefix(var.state_uri, "s3://")), 1, length(split("/", trimprefix(var.state_uri, "s3://")))))
  artifacts_arn = "arn:${local.partition}:s3:::${var.artifacts_bucket}"

  common_arguments = merge(
    {
      "--job-language"   = "python"
      "--env"            = var.environment
      "--landing_uri"    = var.zone_uris["landing"]
      "--raw_uri"        = var.zone_uris["raw"]
      "--transform_uri"  = var.zone_uris["transform"]
      "--analytics_uri"  = var.zone_uris["analytics"]
      "--state_uri"      = var.state_uri
      "--extra-py-files" = "s3://${var.artifacts_bucket}/${var.library_key}"
      # Pinned wheels from the artifacts bucket, installed without an index: a job start needs no PyPI
      # (a job in a VPC without internet still starts). See the python_modules_key variable.
      "--additional-python-modules"       = "s3://${var.artifacts_bucket}/${var.python_modules_key}"
      "--python-modules-installer-option" = "--no-index"
      "--enable-metrics"                  = "true"
      "--job-bookmark-option"             = "job-bookmark-disable"
      "--datalake-formats"                = "iceberg"
      "--conf"                            = local.iceberg_conf
      "--TempDir"                         = "s3://${var.artifacts_bucket}/${var.temp_prefix}"
    },
    { for zone, db in var.databases : "--${zone}_database" => db },
  )

  default_arguments = {
    for job in keys(var.jobs) : job => merge(
      local.common_arguments,
      local.access[job].pii_key ? { "--pii_key_parameter" = aws_ssm_parameter.pii_key.name } : {},
    )
  }
}

# ---------------------------------------------------------------------------------------------
# PII token key: an SSM SecureString that Terraform creates with a placeholder and never reads
# back; operators put the real key with `aws ssm put-parameter --overwrite` (docs/infrastructure.md).
# The job refuses a key shorter than 16 characters, so the placeholder cannot tokenise anything.
# ---------------------------------------------------------------------------------------------

resource "aws_ssm_parameter" "pii_key" {
  name        = var.pii_key_parameter_name
  description = "Key of the PII tokens (HMAC-SHA256) used by ${local.job_names["raw_to_transform"]}."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = "unset"

  lifecycle {
    ignore_changes = [value]
  }
}

# ---------------------------------------------------------------------------------------------
# Roles: one per job, each limited to the zones it reads and writes.
# ---------------------------------------------------------------------------------------------

# Trusts the Glue service with no aws:SourceAccount/aws:SourceArn condition: AWS documents the Glue
# service role's trust policy without one (https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html)
# and nowhere that Glue sends those keys when it assumes a job role; a condition the service does not
# satisfy would stop every job from starting. Who may hand this role to Glue is decided by
# iam:PassRole, which cannot pass a role to another account.
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.jobs

  name                 = "${var.name_prefix}-glue-${replace(each.key, "_", "-")}"
  description          = "Glue job ${local.job_names[each.key]}: reads ${join(", ", local.access[each.key].read)}, writes ${join(", ", local.access[each.key].write)}."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "job" {
  for_each = var.jobs

  statement {
    sid       = "ReadCode"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_arn}/${var.script_prefix}*", "${local.artifacts_arn}/${var.library_key}", "${local.artifacts_arn}/${var.python_modules_key}"]
  }

  statement {
    sid       = "TempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.artifacts_arn}/${var.temp_prefix}*"]
  }

  statement {
    sid       = "ListCodeAndTemp"
    actions   = ["s3:ListBucket"]
    resources = [local.artifacts_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.script_prefix, "${var.script_prefix}*", var.temp_prefix, "${var.temp_prefix}*", var.library_key, var.python_modules_key]
    }
  }

  statement {
    sid       = "ReadZones"
    actions   = ["s3:GetObject"]
    resources = [for zone in local.access[each.key].read : "arn:${local.partition}:s3:::${local.bucket_of[zone]}/*"]
  }

  statement {
    sid       = "WriteZones"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for zone in local.access[each.key].write : "arn:${local.partition}:s3:::${local.bucket_of[zone]}/*"]
  }

  dynamic "statement" {
    # Tables the job writes outside its own zone (the data quality results; the build log).
    for_each = length(var.shared_tables[each.key]) > 0 ? [1] : []
    content {
      sid     = "WriteSharedTables"
      actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
      resources = [
        for t in var.shared_tables[each.key] : "arn:${local.partition}:s3:::${local.bucket_of[split(".", t)[0]]}/${split(".", t)[1]}/*"
      ]
    }
  }

  statement {
    # The run lock, run manifests and logs.
    sid       = "LakeState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["arn:${local.partition}:s3:::${local.state_bucket}/${local.state_prefix}/*"]
  }

  statement {
    sid     = "ListZones"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = distinct(concat(
      [for zone in concat(local.access[each.key].read, local.access[each.key].write) : "arn:${local.partition}:s3:::${local.bucket_of[zone]}"],
      [for t in var.shared_tables[each.key] : "arn:${local.partition}:s3:::${local.bucket_of[split(".", t)[0]]}"],
      ["arn:${local.partition}:s3:::${local.state_bucket}"],
    ))
  }

  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    # An Iceberg commit through GlueCatalog reads the table and swaps its metadata_location with
    # UpdateTable, conditional on the version it read (Glue optimistic locking:
    # https://iceberg.apache.org/docs/latest/aws/#optimistic-locking). Terraform creates every table,
    # so there is no CreateTable, and no partition action: Iceberg keeps partitions in its metadata.
    sid     = "IcebergCommits"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"]
    resources = distinct(concat(
      ["arn:${local.partition}:glue:${var.region}:${var.account_id}:catalog"],
      [for zone in local.access[each.key].write : "arn:${local.partition}:glue:${var.region}:${var.account_id}:database/${var.databases[zone]}"],
      [for zone in local.access[each.key].write : "arn:${local.partition}:glue:${var.region}:${var.account_id}:table/${var.databases[zone]}/*"],
      [for t in var.shared_tables[each.key] : "arn:${local.partition}:glue:${var.region}:${var.account_id}:database/${var.databases[split(".", t)[0]]}"],
      [for t in var.shared_tables[each.key] : "arn:${local.partition}:glue:${var.region}:${var.account_id}:table/${var.databases[split(".", t)[0]]}/${split(".", t)[1]}"],
    ))
  }

  dynamic "statement" {
    # The tables of the zone the job reads: loaded through the catalog, never written.
    for_each = length(local.catalog_reads[each.key]) > 0 ? [1] : []
    content {
      sid     = "IcebergReads"
      actions = ["glue:GetDatabase", "glue:GetTable"]
      resources = concat(
        ["arn:${local.partition}:glue:${var.region}:${var.account_id}:catalog"],
        [for zone in local.catalog_reads[each.key] : "arn:${local.partition}:glue:${var.region}:${var.account_id}:database/${var.databases[zone]}"],
        [for zone in local.catalog_reads[each.key] : "arn:${local.partition}:glue:${var.region}:${var.account_id}:table/${var.databases[zone]}/*"],
      )
    }
  }

  statement {
    # Lake Formation vends access to the catalogued tables; the action has no resource-level form.
    sid       = "LakeFormationAccess"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"]
  }

  statement {
    sid = "Logs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = [
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws-glue/*",
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws-glue/*:log-stream:*",
    ]
  }

  statement {
    # A job with a NETWORK connection runs on elastic network interfaces Glue creates in the subnet with
    # the job's role: the EC2 actions of the AWSGlueServiceRole managed policy
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html). These
    # Describe actions have no resource-level form; the rest is limited to the lake's VPC below.
    sid = "DescribeVpc"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeLakeVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["arn:${local.partition}:ec2:${var.region}:${var.account_id}:vpc/${var.network.vpc_id}"]
  }

  statement {
    # CreateNetworkInterface is authorized on the new interface, the subnet and the security groups;
    # DeleteNetworkInterface on the interface (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
    # only in the lake's private subnets, with the Glue workers' groups.
    sid     = "WorkerNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
    resources = concat(
      ["arn:${local.partition}:ec2:${var.region}:${var.account_id}:network-interface/*"],
      [for s in var.network.subnets : "arn:${local.partition}:ec2:${var.region}:${var.account_id}:subnet/${s.subnet_id}"],
      [for g in var.network.security_group_ids : "arn:${local.partition}:ec2:${var.region}:${var.account_id}:security-group/${g}"],
    )
  }

  statement {
    # The job's own NETWORK connections, which Glue reads to place the workers. AWSGlueServiceRole, the
    # policy Glue documents for job roles, grants glue:* for it; only this read is granted here.
    sid       = "NetworkConnections"
    actions   = ["glue:GetConnection"]
    resources = concat(["arn:${local.partition}:glue:${var.region}:${var.account_id}:catalog"], [for name in local.connection_names : "arn:${local.partition}:glue:${var.region}:${var.account_id}:connection/${name}"])
  }

  statement {
    # Glue tags the interfaces it creates with aws-glue-service-resource (the same managed policy).
    sid       = "TagGlueNetworkInterfaces"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["arn:${local.partition}:ec2:${var.region}:${var.account_id}:network-interface/*", "arn:${local.partition}:ec2:${var.region}:${var.account_id}:security-group/*", "arn:${local.partition}:ec2:${var.region}:${var.account_id}:instance/*"]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["aws-glue-service-resource"]
    }
  }

  statement {
    # The lake lock's holder check asks Glue whether the run that holds the lock is still running
    # (src/etl/jobs/runner.py glue_run_alive); the holder may be any of the pipeline's jobs.
    sid       = "LockHolderLiveness"
    actions   = ["glue:GetJobRun"]
    resources = [for name in values(local.job_names) : "arn:${local.partition}:glue:${var.region}:${var.account_id}:job/${name}"]
  }

  statement {
    # Custom job metrics; PutMetricData has no resource-level form, so it is limited by namespace.
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace, "Glue"]
    }
  }

  dynamic "statement" {
    for_each = local.access[each.key].pii_key ? [1] : []
    content {
      sid       = "PiiKey"
      actions   = ["ssm:GetParameter"]
      resources = [aws_ssm_parameter.pii_key.arn]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.jobs

  name   = "lake-access"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.job[each.key].json
}

# ---------------------------------------------------------------------------------------------
# Security configuration and jobs
# ---------------------------------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  name = "${var.name_prefix}-glue"

  encryption_configuration {
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
  }
}

# The jobs run inside the lake's VPC (modules/network): a NETWORK connection places their workers' network
# interfaces in a private subnet with the Glue security group; with no internet route there, every call
# goes through the VPC endpoints.
resource "aws_glue_connection" "network" {
  for_each = local.connections

  name            = each.key
  description     = "Glue workers of ${var.name_prefix} in ${each.value.subnet_id} (${each.value.availability_zone}), no internet route."
  connection_type = "NETWORK"

  physical_connection_requirements {
    subnet_id              = each.value.subnet_id
    availability_zone      = each.value.availability_zone
    security_group_id_list = var.network.security_group_ids
  }
}

resource "aws_glue_job" "this" {
  for_each = var.jobs

  name                   = local.job_names[each.key]
  description            = "Energy lake ${var.environment}: ${replace(each.key, "_", " ")}."
  role_arn               = aws_iam_role.this[each.key].arn
  glue_version           = var.glue_version
  worker_type            = each.value.worker_type
  number_of_workers      = each.value.number_of_workers
  timeout                = each.value.timeout_minutes
  max_retries            = each.value.max_retries
  security_configuration = aws_glue_security_configuration.this.name
  default_arguments      = local.default_arguments[each.key]
  connections            = [for name in local.connection_names : aws_glue_connection.network[name].name]

  command {
    name            = "glueetl"
    script_location = "s3://${var.artifacts_bucket}/${local.script_keys[each.key]}"
    python_version  = "3"
  }

  execution_property {
    # The lake lock serialises runs anyway; a second concurrent run would only wait and fail.
    max_concurrent_runs = 1
  }

  tags = {
    Job = each.key
  }
}

# ---------------------------------------------------------------------------------------------
# Workflow: scheduled start, then each job when the previous one succeeded.
# ---------------------------------------------------------------------------------------------

resource "aws_glue_workflow" "this" {
  name                = "${var.name_prefix}-pipeline"
  description         = "Landing -> raw -> transform -> analytics, one run at a time."
  max_concurrent_runs = 1
}

resource "aws_glue_trigger" "start" {
  name              = "${var.name_prefix}-start"
  description       = "Starts ${local.job_names[local.order[0]]} on schedule."
  workflow_name     = aws_glue_workflow.this.name
  type              = "SCHEDULED"
  schedule          = var.schedule
  enabled           = var.schedule_enabled
  start_on_creation = var.schedule_enabled

  actions {
    job_name = aws_glue_job.this[local.order[0]].name
  }
}

resource "aws_glue_trigger" "next" {
  for_each = { for i, job in slice(local.order, 1, length(local.order)) : job => local.order[i] }

  name          = "${var.name_prefix}-after-${replace(each.value, "_", "-")}"
  description   = "Starts ${local.job_names[each.key]} when ${local.job_names[each.value]} succeeded."
  workflow_name = aws_glue_workflow.this.name
  type          = "CONDITIONAL"
  # A conditional trigger does nothing until it is activated.
  start_on_creation = true

  predicate {
    conditions {
      job_name         = aws_glue_job.this[each.value].name
      state            = "SUCCEEDED"
      logical_operator = "EQUALS"
    }
  }

  actions {
    job_name = aws_glue_job.this[each.key].name
  }
}
