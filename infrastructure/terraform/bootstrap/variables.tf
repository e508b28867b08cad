variable "org" {
  description = "Short organisation name that starts the state bucket's name (same rule as the environments' org)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.org))
    error_message = "org must be 2-16 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the state bucket and its KMS key."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "The only AWS account this root may be applied to (provider allowed_account_ids); part of the bucket name."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "environments" {
  description = "Environments whose state lives in this account's bucket; each gets the key <env>/terraform.tfstate and a backend.hcl output."
  type        = list(string)
  default     = ["dev", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9]{1,9}$", e))])
    error_message = "environments must list at least one name of 2-10 lowercase letters or digits, starting with a letter."
  }
  validation {
    condition     = length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must not repeat a name."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced (noncurrent) state version is kept before it expires; the newest noncurrent_versions_to_keep are kept regardless."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650."
  }
}

variable "noncurrent_versions_to_keep" {
  description = "Newest noncurrent versions of each state object kept whatever their age (S3 NewerNoncurrentVersions, 1-100)."
  type        = number
  default     = 10

  validation {
    condition     = var.noncurrent_versions_to_keep >= 1 && var.noncurrent_versions_to_keep <= 100 && floor(var.noncurrent_versions_to_keep) == var.noncurrent_versions_to_keep
    error_message = "noncurrent_versions_to_keep must be a whole number from 1 to 100."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the deleted state key is destroyed (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the state bucket with every state version in it. Keep false outside throwaway accounts."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags added to every resource (besides Project, Component, ManagedBy)."
  type        = map(string)
  default     = {}
}
