# Everything that differs between environments, one object: the environments pass their
# terraform.tfvars `settings` through unchanged (environments/<env>/main.tf). Each attribute is
# described beside it and in README.md (a test checks the two agree).

variable "settings" {
  description = "The environment's settings (terraform.tfvars `settings`); each attribute is described in README.md, Settings."
  type = object({
    # Short organisation name that starts every resource name (lowercase letters and digits, so it is valid in bucket and Glue database names alike).
    org = string
    # Deployment name (dev, prod).
    environment = string
    # AWS region of the lake.
    region = string
    # The only AWS account this environment may be applied to (provider allowed_account_ids).
    account_id = string
    # Extra tags added to every resource (besides Project, Environment, ManagedBy).
    tags = optional(map(string), {})
    # IAM role/user ARNs of the Lake Formation administrators: every principal that applies this environment (CI role, operators). The list replaces the account's; a plan by a principal not in it stops.
    lake_formation_admins = list(string)
    # Principals that may assume the persona roles; empty means the account root (delegate through IAM).
    persona_trusted_principals = optional(list(string), [])
    # Worker type, worker count, timeout (minutes) and retries per Glue job key.
    glue_job_capacity = map(object({
      worker_type       = string
      number_of_workers = number
      timeout_minutes   = number
      max_retries       = number
    }))
    # Glue version of the jobs (5.1: Spark 3.5.6, Python 3.11).
    glue_version = optional(string, "5.1")
    # Cron expression (UTC) that starts the pipeline workflow.
    glue_schedule = string
    # Whether the scheduled start trigger is active.
    glue_schedule_enabled = bool
    # Days a landing file is kept.
    landing_expiration_days = number
    # Days a noncurrent object version is kept.
    noncurrent_version_expiration_days = number
    # Days an Athena query result is kept.
    athena_results_expiration_days = number
    # Days an S3 server access log is kept.
    access_log_expiration_days = number
    # Waiting period (7-30 days) before a deleted KMS key is destroyed.
    kms_deletion_window_days = number
    # Let terraform destroy delete non-empty buckets and workgroups (never in prod).
    force_destroy = bool
    # Deny s3:DeleteBucket on the lake buckets through their bucket policies.
    deletion_protection = bool
    # Bytes one Athena query may scan before it is cancelled.
    athena_bytes_scanned_cutoff_per_query = number
    # E-mail addresses subscribed to the alert topic.
    alert_emails = optional(list(string), [])
    # Refuse a plan without an alert subscriber (alert_emails); false only where alerts may go unheard (dev).
    alert_subscriber_required = optional(bool, true)
    # Alarm when more than this share of rows read in an hour is quarantined.
    quarantine_ratio_threshold = number
    # Alarm when an entity's newest ingest date is older than this many hours.
    freshness_threshold_hours = number
    # Run the Glue Data Catalog table optimizers (compaction, snapshot retention, orphan file deletion) on every lake table.
    table_optimizers_enabled = optional(bool, true)
    # The lake's VPC (modules/network): a new one (vpc_cidr, availability_zones: at least two, subnet_prefix_length) or an existing VPC (existing: vpc_id, subnet_ids, route_table_ids), and the flow logs' retention in days.
    network = object({
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
    # IAM role or user ARNs (* wildcards allowed) that reach the zone buckets' objects from outside the lake's VPC besides the Lake Formation admins: operators, the role that delivers the feeds to landing (docs/security.md).
    zone_operators = optional(list(string), [])
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.settings.org))
    error_message = "settings.org must be 2-16 lowercase letters or digits, starting with a letter."
  }

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.settings.environment)
    error_message = "settings.environment must be one of dev, test, staging, prod."
  }

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.settings.region))
    error_message = "settings.region must look like eu-west-1."
  }

  validation {
    condition     = can(regex("^[0-9]{12}$", var.settings.account_id))
    error_message = "settings.account_id must be 12 digits."
  }

  validation {
    condition     = alltrue([for a in var.settings.zone_operators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "settings.zone_operators must be IAM role or user ARNs."
  }
}
