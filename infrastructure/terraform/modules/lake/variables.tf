variable "org" {
  description = "Short organisation name that starts every resource name (lowercase letters and digits, so it is valid in bucket and Glue database names alike)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.org))
    error_message = "org must be 2-16 lowercase letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment name (dev, prod)."
  type        = string

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, test, staging, prod."
  }
}

variable "region" {
  description = "AWS region of the lake."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "The only AWS account this environment may be applied to (provider allowed_account_ids)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "tags" {
  description = "Extra tags added to every resource (besides Project, Environment, ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "lake_formation_admins" {
  description = "IAM role/user ARNs of the Lake Formation administrators: every principal that applies this environment (CI role, operators). The list replaces the account's; a plan by a principal not in it stops."
  type        = list(string)
}

variable "persona_trusted_principals" {
  description = "Principals that may assume the persona roles; empty means the account root (delegate through IAM)."
  type        = list(string)
  default     = []
}

variable "glue_job_capacity" {
  description = "Worker type, worker count, timeout (minutes) and retries per Glue job key."
  type = map(object({
    worker_type       = string
    number_of_workers = number
    timeout_minutes   = number
    max_retries       = number
  }))
}

variable "glue_version" {
  description = "Glue version of the jobs (5.1: Spark 3.5.6, Python 3.11)."
  type        = string
  default     = "5.1"
}

variable "glue_schedule" {
  description = "Cron expression (UTC) that starts the pipeline workflow."
  type        = string
}

variable "glue_schedule_enabled" {
  description = "Whether the scheduled start trigger is active."
  type        = bool
}

variable "landing_expiration_days" {
  description = "Days a landing file is kept."
  type        = number
}

variable "noncurrent_version_expiration_days" {
  description = "Days a noncurrent object version is kept."
  type        = number
}

variable "athena_results_expiration_days" {
  description = "Days an Athena query result is kept."
  type        = number
}

variable "access_log_expiration_days" {
  description = "Days an S3 server access log is kept."
  type        = number
}

variable "kms_deletion_window_days" {
  description = "Waiting period (7-30 days) before a deleted KMS key is destroyed."
  type        = number
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets and workgroups (never in prod)."
  type        = bool
}

variable "deletion_protection" {
  description = "Deny s3:DeleteBucket on the lake buckets through their bucket policies."
  type        = bool
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Bytes one Athena query may scan before it is cancelled."
  type        = number
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "alert_subscriber_required" {
  description = "Refuse a plan without an alert subscriber (alert_emails); false only where alerts may go unheard (dev)."
  type        = bool
  default     = true
}

variable "quarantine_ratio_threshold" {
  description = "Alarm when more than this share of rows read in an hour is quarantined."
  type        = number
}

variable "freshness_threshold_hours" {
  description = "Alarm when an entity's newest ingest date is older than this many hours."
  type        = number
}

variable "table_optimizers_enabled" {
  description = "Run the Glue Data Catalog table optimizers (compaction, snapshot retention, orphan file deletion) on every lake table."
  type        = bool
  default     = true
}

variable "network" {
  description = "The lake's VPC (modules/network): a new one (vpc_cidr, availability_zones: at least two, subnet_prefix_length) or an existing VPC (existing: vpc_id, subnet_ids, route_table_ids), and the flow logs' retention in days."
  type = object({
    vpc_cidr             = optional(string, "10.40.0.0/16")
    availability_zones   = optional(list(string), [])
    subnet_prefix_length = optional(number, 20)
    existing = optional(object({
      vpc_id          = string
      subnet_ids      = list(string)
      route_table_ids = list(string)
    }))
    flow_log_retention_days = optional(number, 365)
  })
}

variable "zone_operators" {
  description = "IAM role or user ARNs (* wildcards allowed) that reach the zone buckets' objects from outside the lake's VPC besides the Lake Formation admins: operators, the role that delivers the feeds to landing (docs/security.md)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.zone_operators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "zone_operators must be IAM role or user ARNs."
  }
}
