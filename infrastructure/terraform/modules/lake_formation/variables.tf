variable "name_prefix" {
  description = "Prefix of role names (<org>-<env>), computed once by the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens (2-41 characters)."
  }
}

variable "account_id" {
  description = "AWS account id (the Data Catalog id)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "databases" {
  description = "Glue database per catalogued zone (raw, transform, analytics); the zone LF-tag values are these keys."
  type        = map(string)

  validation {
    condition     = toset(keys(var.databases)) == toset(["raw", "transform", "analytics"])
    error_message = "databases must have exactly the keys raw, transform and analytics."
  }
}

variable "zone_bucket_arns" {
  description = "Bucket ARN of each catalogued zone, registered with Lake Formation."
  type        = map(string)

  validation {
    condition     = alltrue([for a in values(var.zone_bucket_arns) : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", a))])
    error_message = "zone_bucket_arns must be S3 bucket ARNs."
  }
}

variable "kms_key_arn" {
  description = "The lake's KMS key (the registered locations are encrypted with it)."
  type        = string
}

variable "tables" {
  description = "Catalogued tables keyed <zone>.<table> (the glue_catalog module's glue_catalog_tables output)."
  type = map(object({
    zone         = string
    database     = string
    name         = string
    location     = string
    columns      = list(string)
    partition_by = list(string)
    pii_columns  = list(string)
  }))
}

variable "quarantine_table" {
  description = "Key (<zone>.<table>) of the quarantine table: classified restricted as a whole, read by name by quarantine personas."
  type        = string
  default     = "raw.quarantine"

  validation {
    condition     = can(regex("^[a-z]+\\.[a-z_]+$", var.quarantine_table))
    error_message = "quarantine_table must be <zone>.<table>."
  }
}

variable "personas" {
  description = "Personas (src/contracts/personas.yaml): the zones and classifications each may read, and whether it reads the quarantine."
  type = map(object({
    description     = string
    zones           = list(string)
    classifications = list(string)
    quarantine      = bool
  }))

  validation {
    condition     = alltrue([for p in values(var.personas) : alltrue([for z in p.zones : contains(keys(var.databases), z)])])
    error_message = "A persona's zones must be catalogued zones (raw, transform, analytics)."
  }
  validation {
    condition     = alltrue([for p in values(var.personas) : alltrue([for c in p.classifications : contains(["general", "restricted"], c)])])
    error_message = "A persona's classifications must be among general and restricted."
  }
  validation {
    # The quarantine is a restricted table of the raw zone, so the tag grants already give it to
    # exactly the personas with raw and restricted; the flag must agree with that.
    condition     = alltrue([for p in values(var.personas) : p.quarantine == (contains(p.zones, "raw") && contains(p.classifications, "restricted"))])
    error_message = "A persona reads the quarantine exactly when it has the raw zone and the restricted classification."
  }
  validation {
    condition     = alltrue([for k in keys(var.personas) : can(regex("^[a-z][a-z_]{1,30}$", k))])
    error_message = "Persona names must be lowercase letters or underscores."
  }
}

variable "persona_trusted_principals" {
  description = "Principals allowed to assume the persona roles (for example the account root, or SSO permission-set roles)."
  type        = list(string)

  validation {
    condition     = length(var.persona_trusted_principals) > 0
    error_message = "Name at least one principal that may assume the persona roles."
  }
}

variable "writers" {
  description = "Glue job roles, keyed by job key: the zones they write, the further tables (<zone>.<table>) they write, and the zones whose tables they read. They get catalog grants on those."
  type = map(object({
    role_arn   = string
    zones      = list(string)
    tables     = optional(list(string), [])
    read_zones = optional(list(string), [])
  }))
}

variable "table_maintainer_role_arn" {
  description = "Role the Glue table optimizers run as (the glue_catalog module's): it gets what AWS documents for optimizers on Lake Formation tables, on every table."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.table_maintainer_role_arn))
    error_message = "table_maintainer_role_arn must be an IAM role ARN."
  }
}
