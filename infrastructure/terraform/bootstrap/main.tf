# The Terraform state bucket of one account, and the KMS key its objects are encrypted with.
# Applied once per account, before any environment (README.md); the environments' backend.tf
# (S3 backend, use_lockfile, encrypt) then stores <env>/terraform.tfstate here.

data "aws_partition" "current" {}

locals {
  # The one place the bucket name is computed.
  bucket_name  = "${var.org}-tfstate-${var.region}-${var.account_id}"
  account_root = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"

  # The text of environments/<env>/backend.hcl: the partial backend configuration that backend.tf
  # (use_lockfile = true, encrypt = true) leaves to init time.
  backend_hcl = {
    for env in var.environments : env => join("\n", [
      "# Written from: terraform -chdir=infrastructure/terraform/bootstrap output -raw backend_hcl_${env}",
      "bucket     = \"${aws_s3_bucket.state.bucket}\"",
      "key        = \"${env}/terraform.tfstate\"",
      "region     = \"${var.region}\"",
      "kms_key_id = \"${aws_kms_key.state.arn}\"",
      "",
    ])
  }
}

# ---------------------------------------------------------------------------------------------
# KMS: a key of its own, so reading state needs kms:Decrypt on this key as well as s3:GetObject.
# ---------------------------------------------------------------------------------------------

resource "aws_kms_key" "state" {
  description             = "Terraform state bucket ${local.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration and use are delegated to IAM policies of this account.
        Sid       = "AccountIAMPolicies"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.org}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

# ---------------------------------------------------------------------------------------------
# State bucket
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Server access logs of the state bucket would need a second, SSE-S3 log bucket per account with its own exemptions; object-level audit of state reads belongs to CloudTrail S3 data events (README.md).
  #checkov:skip=CKV_AWS_144:Cross-region replication of Terraform state is not taken; versioning keeps every replaced state and the state can be rebuilt by import (README.md).
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the state bucket; Terraform reads and writes it directly.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # A PUT that names an encryption other than SSE-KMS (AES256, DSSE). A PUT that names none
        # is not denied (Null = false: the header must be present; a negated or ...IfExists
        # operator would match its absence) and gets the bucket default, this key: the UploadPart
        # requests of a multipart upload (the S3 backend's uploader for a large state) carry no
        # SSE header.
        Sid       = "DenyOtherEncryption"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.state.arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        }
      },
      {
        # A PUT that asks for SSE-KMS with another key, or with none named (S3 would use aws/s3).
        # The S3 backend sends kms_key_id (this key's ARN, from backend.hcl) on the state and on
        # the .tflock lock file alike.
        Sid       = "DenyOtherKmsKey"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.state.arn}/*"
        Condition = {
          StringEquals    = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.state.arn }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "state-versions"
    status = "Enabled"
    filter {}

    # Replaced states (and the versions every lock/unlock leaves of <key>.tflock) expire after
    # the retention, the newest few of each key excepted.
    noncurrent_version_expiration {
      noncurrent_days           = var.noncurrent_version_expiration_days
      newer_noncurrent_versions = var.noncurrent_versions_to_keep
    }
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}
