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
  description = "Conventions shared by every entity (src/contracts/lake.yaml): partition key, lineage, extra-column map, quarantine table."
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
    quarantine_table = string
    quarantine_columns = list(object({
      name        = string
      type        = string
      description = optional(string, "")
    }))
  })
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

variable "dq_rulesets" {
  description = "Glue Data Quality ruleset (DQDL) per table, keyed <zone>.<table>, generated from the contracts (src/contracts/generated/dqdl/rulesets.json)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for t in keys(var.dq_rulesets) : can(regex("^(raw|transform|analytics)\\.[a-z_]+$", t))])
    error_message = "dq_rulesets keys must be <zone>.<table>."
  }
}
