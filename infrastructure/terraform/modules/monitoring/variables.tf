variable "name_prefix" {
  description = "Prefix of every name in this module (<org>-<env>), computed once by the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens (2-41 characters)."
  }
}

variable "environment" {
  description = "Deployment name: the value of the Environment metric dimension."
  type        = string
}

variable "region" {
  description = "AWS region of the dashboard's metrics."
  type        = string
}

variable "account_id" {
  description = "AWS account id (condition of the topic policy)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the alert topic."
  type        = string
}

variable "job_names" {
  description = "Glue job name per job key; failures of these jobs are alerted."
  type        = map(string)
}

variable "entities" {
  description = "Entities with per-entity alarms (quarantine ratio, freshness)."
  type        = list(string)

  validation {
    condition     = length(var.entities) > 0
    error_message = "Name at least one entity."
  }
}

variable "ingest_job" {
  description = "Job key whose per-entity metrics the quarantine and freshness alarms watch (the Job dimension)."
  type        = string
  default     = "landing_to_raw"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the lake's custom metrics."
  type        = string
  default     = "EnergyLake"
}

variable "quarantine_ratio_threshold" {
  description = "Alarm when more than this share (0-1) of the rows read in an hour were quarantined."
  type        = number
  default     = 0.05

  validation {
    condition     = var.quarantine_ratio_threshold > 0 && var.quarantine_ratio_threshold < 1
    error_message = "quarantine_ratio_threshold must be between 0 and 1."
  }
}

variable "freshness_threshold_hours" {
  description = "Alarm when the newest ingest date of an entity is older than this many hours."
  type        = number
  default     = 36

  validation {
    condition     = var.freshness_threshold_hours >= 1
    error_message = "freshness_threshold_hours must be at least 1."
  }
}

variable "freshness_evaluation_days" {
  description = "Daily periods, all of which must be stale (or, on a schedule, have no report) before the freshness alarm fires; 2 spans the hours of a day before its run."
  type        = number
  default     = 2

  validation {
    # Period x EvaluationPeriods can't exceed 604,800 s (7 days):
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    condition     = var.freshness_evaluation_days >= 1 && var.freshness_evaluation_days <= 7 && floor(var.freshness_evaluation_days) == var.freshness_evaluation_days
    error_message = "freshness_evaluation_days must be a whole number from 1 to 7 (CloudWatch evaluates at most 7 days)."
  }
}

variable "schedule_enabled" {
  description = "Whether the pipeline runs on its schedule; without one, a day with no report is not stale (runs are by hand)."
  type        = bool
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
  validation {
    condition     = !var.alert_subscriber_required || length(var.alert_emails) > 0
    error_message = "alert_emails is empty: job failures and alarms would reach no one. Give at least one address (or set alert_subscriber_required = false, as dev does)."
  }
}

variable "alert_subscriber_required" {
  description = "Refuse a plan without an alert subscriber (alert_emails). True unless an environment's alerts may go unheard (dev)."
  type        = bool
  default     = true
}
