# Data zones: one bucket per lake zone (one definition, for_each over the zone names), the
# operational buckets (artifacts, athena-results) beside them, an access-logs bucket apart, and the
# customer-managed KMS key every one of them but the access-logs bucket is encrypted with.

data "aws_partition" "current" {}

locals {
  # Every bucket that holds lake data or lake artifacts: SSE-KMS with the lake key.
  zone_buckets        = { for zone, name in var.zone_bucket_names : zone => { name = name, kind = "zone" } }
  operational_buckets = { for purpose, name in var.operational_bucket_names : purpose => { name = name, kind = "operational" } }
  buckets             = merge(local.zone_buckets, local.operational_buckets)

  # Lifecycle: common rules everywhere, plus one expiry rule where the data is short-lived files.
  # Never on a table's prefix: an Iceberg table's files go only when a snapshot no longer needs them
  # (retention and orphan file deletion, modules/glue_catalog), or a reader would miss a file.
  expiring_prefixes = merge(
    contains(keys(var.zone_bucket_names), "landing") ? {
      landing = { id = "expire-landing-files", prefix = "", days = var.landing_expiration_days }
    } : {},
    contains(keys(var.operational_bucket_names), "athena-results") ? {
      athena-results = { id = "expire-query-results", prefix = "", days = var.athena_results_expiration_days }
    } : {},
  )

  key_admin_arn = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"
}

# ---------------------------------------------------------------------------------------------
# KMS
# ---------------------------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "Energy lake ${var.environment}: zone buckets, Glue jobs, logs, alerts, Athena results"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration and use are delegated to IAM policies of this account.
        Sid       = "AccountIAMPolicies"
        Effect    = "Allow"
        Principal = { AWS = local.key_admin_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Encrypted log groups (Glue continuous logs under the security configuration).
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${var.region}:${var.account_id}:log-group:*"
          }
        }
      },
      {
        # EventBridge and CloudWatch alarms publish to the KMS-encrypted alert topic. No aws:Source*
        # condition: the SNS developer guide says aws:SourceAccount, aws:SourceArn and aws:SourceOrgID
        # are not supported in a key policy for EventBridge publishing to an encrypted topic
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); the topic's own
        # policy (monitoring module) limits who may publish.
        Sid       = "AlertPublishers"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.kms_alias}"
  target_key_id = aws_kms_key.this.key_id
}

# ---------------------------------------------------------------------------------------------
# Zone and operational buckets (SSE-KMS)
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision not taken for this reference lake; versioning and the lake's own catalog cover recovery from bad writes (docs/security.md).
  #checkov:skip=CKV2_AWS_62:No consumer of bucket event notifications exists; the jobs run from the scheduled workflow and find new landing files themselves.
  for_each = local.buckets

  bucket        = each.value.name
  force_destroy = var.force_destroy

  tags = {
    Zone = each.key
    Kind = each.value.kind
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${each.value.name}/"

  # S3 checks the log-delivery permission in the target's policy when logging is switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "s3:*"
          Resource  = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
      ],
      # The zones' data only through the lake's network: object access that does not come through the
      # lake VPC's S3 gateway endpoint is denied, except for the principals that reach the zones from
      # outside it by design (docs/security.md). aws:SourceVpce is present only on requests through an
      # endpoint (https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html);
      # aws:PrincipalArn is the role's ARN for its sessions. Both conditions must hold for the Deny.
      each.value.kind == "zone" ? [
        {
          Sid       = "DenyObjectAccessOutsideTheLakeNetwork"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "s3:*"
          Resource  = "${aws_s3_bucket.this[each.key].arn}/*"
          Condition = {
            StringNotEquals = { "aws:SourceVpce" = var.network_access.s3_endpoint_id }
            ArnNotLike      = { "aws:PrincipalArn" = var.network_access.exempt_principal_arns }
          }
        },
      ] : [],
      var.deletion_protection ? [
        {
          Sid       = "DenyBucketDeletion"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "s3:DeleteBucket"
          Resource  = aws_s3_bucket.this[each.key].arn
        },
      ] : [],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = contains(keys(local.expiring_prefixes), each.key) ? [local.expiring_prefixes[each.key]] : []
    content {
      id     = rule.value.id
      status = "Enabled"
      filter {
        prefix = rule.value.prefix
      }
      expiration {
        days = rule.value.days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# ---------------------------------------------------------------------------------------------
# Access-logs bucket: the target of S3 server access logging. S3 log delivery supports only
# SSE-S3 on the target bucket, so this one bucket is not encrypted with the lake key.
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would loop.
  #checkov:skip=CKV_AWS_145:S3 server access log delivery supports only SSE-S3 (AES256) on the target bucket.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision not taken for this reference lake (docs/security.md).
  #checkov:skip=CKV2_AWS_62:No consumer of bucket event notifications exists; jobs run on a schedule.
  bucket        = var.access_logs_bucket_name
  force_destroy = var.force_destroy

  tags = {
    Kind = "access-logs"
  }
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "S3ServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs.arn}/*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = [for b in values(local.buckets) : "arn:${data.aws_partition.current.partition}:s3:::${b.name}"] }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    expiration {
      days = var.access_log_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}
