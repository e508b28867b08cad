variable "name_prefix" {
  description = "Prefix of workgroup names (<org>-<env>), computed once by the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens (2-41 characters)."
  }
}

variable "region" {
  description = "AWS region (for Glue ARNs in the persona policies)."
  type        = string
}

variable "account_id" {
  description = "AWS account id (expected owner of the results bucket, Glue ARNs)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "personas" {
  description = "Persona name -> IAM role name; one workgroup per persona, and the role's Athena policy."
  type        = map(string)

  validation {
    condition     = length(var.personas) > 0
    error_message = "At least one persona is needed."
  }
}

variable "results_bucket" {
  description = "Bucket for query results (each workgroup writes under <persona>/)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts query results."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Largest number of bytes one query may scan before Athena cancels it (at least 10 MB)."
  type        = number

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB)."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a workgroup that still has named queries or history (dev only)."
  type        = bool
  default     = false
}

variable "databases" {
  description = "Glue databases the personas may query through Lake Formation, by zone (also the zone qualifiers rewritten in the SQL)."
  type        = map(string)

  validation {
    condition     = toset(keys(var.databases)) == toset(["raw", "transform", "analytics"])
    error_message = "databases must have exactly the keys raw, transform and analytics."
  }
}

variable "query_database" {
  description = "Default database of the named queries (the analytics zone)."
  type        = string
}

variable "queries" {
  description = "Named queries: file stem -> SQL text, read by the environment from src/sql/*.sql."
  type        = map(string)

  validation {
    condition     = alltrue([for k in keys(var.queries) : can(regex("^[A-Za-z0-9_.-]{1,128}$", k))])
    error_message = "Query names (SQL file stems) must be 1-128 letters, digits, _, . or -."
  }
  validation {
    condition     = alltrue([for q in values(var.queries) : length(q) > 0 && length(q) <= 262144])
    error_message = "Every SQL file must be non-empty and at most 262144 characters."
  }
}
