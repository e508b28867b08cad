variable "databases" {
  description = "Glue database name per catalogued zone (raw, transform, analytics), computed once by the environment."
  type        = map(string)

  validation {
    condition     = toset(keys(var.databases)) == toset(["raw", "transform", "analytics"])
    error_message = "databases must have exactly the keys raw, transform and analytics."
  }
  validation {
    condition     = alltrue([for n in values(var.databases) : can(regex("^[a-z][a-z0-9_]{0,254}$", n))])
    error_message = "Glue database names must be lowercase letters, digits or underscores, starting with a letter."
  }
}

variable "zone_uris" {
  description = "Root URI of each catalogued zone (s3://bucket); a table lives at <zone uri>/<table>."
  type        = map(string)

  validation {
    condition     = toset(keys(var.zone_uris)) == toset(["raw", "transform", "analytics"])
    error_message = "zone_uris must have exactly the keys raw, transform and analytics."
  }
  validation {
    condition     = alltrue([for u in values(var.zone_uris) : can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9](/[^/]+)*$", u))])
    error_message = "zone_uris must be s3://bucket[/prefix] without a trailing slash."
  }
}

variable "contracts" {
  description = "Entity contracts (src/contracts/<entity>.yaml), decoded by the environment and reduced to what the catalog needs."
  type = map(object({
    description = string
    columns = list(object({
      name        = string
      type        = string
      description = optional(string, "")
      pii         = optional(bool, false)
    }))
    transform_layout = string
    derived = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
  }))

  validation {
    condition     = alltrue([for c in values(var.contracts) : contains(["partitioned", "snapshot"], c.transform_layout)])
    error_message = "transform_layout must be partitioned or snapshot."
  }
  validation {
    condition = alltrue(flatten([for c in values(var.contracts) : [
      for col in concat(c.columns, c.derived) : can(regex("^(string|int|bigint|boolean|date|timestamp|map<string,string>|decimal\\([0-9]+, ?[0-9]+\\))$", col.type))
    ]]))
    error_message = "Every contract column type must be one of string, int, bigint, boolean, date, timestamp, map<string,string>, decimal(p,s)."
  }
}

variable "lake" {
  description = "Conventions shared by every entity (src/contracts/lake.yaml): partition key, lineage, extra-column map, raw's notation column, quarantine table."
  type = object({
    partition_key = object({ name = string, type = string })
    lineage = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
    extra_column = object({
      name        = string
      type        = string
      description = optional(string, "")
    })
    notation_column = object({
      name        = string
      type        = string
      description = optional(string, "")
    })
    quarantine_table = string
    quarantine_columns = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
    state_tables = list(object({
      name         = string
      zone         = string
      description  = optional(string, "")
      partition_by = list(string)
      columns = list(object({
        name        = string
        type        = string
        description = optional(string, "")
      }))
    }))
  })

  validation {
    condition     = alltrue([for t in var.lake.state_tables : contains(["raw", "transform", "analytics"], t.zone)])
    error_message = "A state table lives in a catalogued zone: raw, transform or analytics."
  }
  validation {
    condition = alltrue([for t in var.lake.state_tables : alltrue([
      for k in t.partition_by : contains([for c in t.columns : c.name], k)
    ])])
    error_message = "A state table's partition_by names its own columns."
  }
}

variable "quarantine_partition_by" {
  description = "Partition keys of the quarantine table, in order; each is a quarantine column or the lake partition key."
  type        = list(string)
  default     = ["entity", "ingest_date"]
}

variable "marts" {
  description = "Analytics marts (src/contracts/marts.yaml), decoded by the environment."
  type = list(object({
    name         = string
    description  = optional(string, "")
    partition_by = list(string)
    columns = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
  }))

  validation {
    condition     = alltrue([for m in var.marts : length(m.partition_by) <= 1])
    error_message = "A mart is partitioned by the lake partition key or not at all."
  }
}

variable "database_description" {
  description = "Description prefix of the Glue databases."
  type        = string
  default     = "Energy trading data lake"
}

variable "extra_tables" {
  description = "Further lake tables described by generated files (e.g. src/contracts/generated/quality_results_table.json), keyed <zone>.<table>."
  type = map(object({
    description = optional(string, "")
    columns = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
    partition_keys = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_tables) : can(regex("^(raw|transform|analytics)\\.[a-z_]+$", k))])
    error_message = "extra_tables keys must be <zone>.<table> with a catalogued zone."
  }
}

variable "iceberg_format_version" {
  description = "Iceberg table format version of the tables Glue creates (the jobs write v2: row-level deletes, as src/etl/lake/iceberg.py sets)."
  type        = string
  default     = "2"

  validation {
    condition     = contains(["2"], var.iceberg_format_version)
    error_message = "The lake's tables are Iceberg format version 2."
  }
}

variable "maintenance" {
  description = "Table maintenance (src/contracts/lake.yaml `maintenance`): whether the Glue table optimizers run, snapshot retention (days, and the fewest snapshots kept) and orphan file retention (days)."
  type = object({
    enabled                    = optional(bool, true)
    snapshot_retention_days    = number
    min_snapshots_to_keep      = number
    orphan_file_retention_days = number
  })

  validation {
    condition     = var.maintenance.snapshot_retention_days >= 1 && var.maintenance.min_snapshots_to_keep >= 1
    error_message = "Keep at least one day and one snapshot of every table."
  }
  validation {
    # A younger unreferenced file may belong to a commit still under way.
    condition     = var.maintenance.orphan_file_retention_days >= 1
    error_message = "orphan_file_retention_days must be at least 1."
  }
}

variable "name_prefix" {
  description = "Prefix of the names this module gives (the optimizer role), e.g. energylake-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS Region of the Data Catalog (for the optimizer role's ARNs)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS Region name such as eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account that owns the Data Catalog (the optimizers' catalog id)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the lake's KMS key, which encrypts every zone object the optimizers rewrite."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "dq_rulesets" {
  description = "Glue Data Quality ruleset (DQDL) per table, keyed <zone>.<table>, generated from the contracts (src/contracts/generated/dqdl/rulesets.json)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for t in keys(var.dq_rulesets) : can(regex("^(raw|transform|analytics)\\.[a-z_]+$", t))])
    error_message = "dq_rulesets keys must be <zone>.<table>."
  }
}
