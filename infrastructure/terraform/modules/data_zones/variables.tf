variable "environment" {
  description = "Deployment name (dev, prod); used in descriptions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the buckets (for the CloudWatch Logs service principal in the key policy)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account that owns the key and the buckets."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "zone_bucket_names" {
  description = "Bucket name per lake zone (landing, raw, transform, analytics), computed once by the environment."
  type        = map(string)

  validation {
    condition     = alltrue([for z in keys(var.zone_bucket_names) : contains(["landing", "raw", "transform", "analytics"], z)])
    error_message = "zone_bucket_names keys must be among landing, raw, transform, analytics."
  }
  validation {
    condition     = alltrue([for n in values(var.zone_bucket_names) : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", n))])
    error_message = "Bucket names must be 3-63 lowercase letters, digits or hyphens."
  }
}

variable "operational_bucket_names" {
  description = "Bucket name per operational purpose (artifacts, athena-results), kept apart from the zones."
  type        = map(string)

  validation {
    condition     = toset(keys(var.operational_bucket_names)) == toset(["artifacts", "athena-results"])
    error_message = "operational_bucket_names must have exactly the keys artifacts and athena-results."
  }
  validation {
    condition     = alltrue([for n in values(var.operational_bucket_names) : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", n))])
    error_message = "Bucket names must be 3-63 lowercase letters, digits or hyphens."
  }
}

variable "access_logs_bucket_name" {
  description = "Name of the bucket that receives S3 server access logs of every other bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_logs_bucket_name))
    error_message = "Bucket names must be 3-63 lowercase letters, digits or hyphens."
  }
}

variable "kms_alias" {
  description = "Alias (without the alias/ prefix) of the lake's customer-managed KMS key."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,200}$", var.kms_alias)) && !startswith(var.kms_alias, "aws/")
    error_message = "kms_alias must be letters, digits, /, _ or - and must not start with aws/."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a deleted key is destroyed (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "landing_expiration_days" {
  description = "Days a landing file is kept (current version) before it expires."
  type        = number

  validation {
    condition     = var.landing_expiration_days >= 1
    error_message = "landing_expiration_days must be at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a noncurrent object version is kept in any bucket."
  type        = number

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "athena_results_expiration_days" {
  description = "Days an Athena query result is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1
    error_message = "athena_results_expiration_days must be at least 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days an S3 server access log object is kept."
  type        = number

  validation {
    condition     = var.access_log_expiration_days >= 1
    error_message = "access_log_expiration_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (dev only)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Add a bucket-policy statement that denies s3:DeleteBucket to everyone (prod)."
  type        = bool
  default     = true
}

variable "network_access" {
  description = "The zone buckets' data-plane restriction: object access only through the lake VPC's S3 gateway endpoint (s3_endpoint_id), except for the principals (IAM role or user ARNs, * wildcards allowed) that reach the zones from outside the VPC by design: Lake Formation's data-access role (Athena for the personas), the table optimizer role, the principals that apply Terraform, the operators."
  type = object({
    s3_endpoint_id        = string
    exempt_principal_arns = list(string)
  })

  validation {
    condition     = can(regex("^vpce-[0-9a-f]+$", var.network_access.s3_endpoint_id))
    error_message = "network_access.s3_endpoint_id must be a VPC endpoint id (vpce-...)."
  }
  validation {
    condition     = length(var.network_access.exempt_principal_arns) > 0 && alltrue([for a in var.network_access.exempt_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "network_access.exempt_principal_arns must be IAM role or user ARNs (at least one: who applies Terraform)."
  }
}
