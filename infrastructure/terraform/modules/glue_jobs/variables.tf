variable "name_prefix" {
  description = "Prefix of every name in this module (<org>-<env>), computed once by the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens (2-41 characters)."
  }
}

variable "environment" {
  description = "Deployment name, passed to the jobs as --env."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region (for ARNs in the job policies)."
  type        = string
}

variable "account_id" {
  description = "AWS account id (for ARNs in the job policies)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "jobs" {
  description = "Capacity of each job, keyed by job key (landing_to_raw, raw_to_transform, transform_to_analytics)."
  type = map(object({
    worker_type       = string
    number_of_workers = number
    timeout_minutes   = number
    max_retries       = number
  }))

  validation {
    condition     = toset(keys(var.jobs)) == toset(["landing_to_raw", "raw_to_transform", "transform_to_analytics"])
    error_message = "jobs must have exactly the keys landing_to_raw, raw_to_transform and transform_to_analytics (src/etl/jobs/args.py JOBS)."
  }
  validation {
    condition     = alltrue([for j in values(var.jobs) : contains(["G.1X", "G.2X", "G.4X", "G.8X", "R.1X", "R.2X", "R.4X", "R.8X"], j.worker_type)])
    error_message = "worker_type must be a Glue worker type for Spark batch jobs (G.1X, G.2X, G.4X, G.8X, R.1X-R.8X); G.025X is for streaming jobs only."
  }
  validation {
    condition     = alltrue([for j in values(var.jobs) : j.number_of_workers >= 2 && floor(j.number_of_workers) == j.number_of_workers])
    error_message = "number_of_workers must be a whole number of at least 2 (a driver and one executor)."
  }
  validation {
    condition     = alltrue([for j in values(var.jobs) : j.timeout_minutes >= 1 && j.timeout_minutes <= 2880])
    error_message = "timeout_minutes must be between 1 and 2880."
  }
  validation {
    condition     = alltrue([for j in values(var.jobs) : j.max_retries >= 0 && j.max_retries <= 10])
    error_message = "max_retries must be between 0 and 10."
  }
}

variable "glue_version" {
  description = "Glue version of the jobs; the product targets 5.1 (Spark 3.5.6, Python 3.11, Java 17)."
  type        = string
  default     = "5.1"

  validation {
    condition     = var.glue_version == "5.1"
    error_message = "glue_version must be 5.1: the lake lock needs S3 conditional writes (If-Match), which Glue 5.1's boto3 1.40 has and Glue 5.0's boto3 1.34 lacks (shared/glue-5.1/README.md)."
  }
}

variable "artifacts_bucket" {
  description = "Bucket holding the job scripts and the pipeline library (uploaded by src/scripts/deploy_glue_jobs.py)."
  type        = string
}

variable "script_prefix" {
  description = "Key prefix of the job scripts; a job's script is <prefix><job key>.py."
  type        = string
  default     = "glue/scripts/"

  validation {
    condition     = can(regex("^[a-z0-9_/-]+/$", var.script_prefix))
    error_message = "script_prefix must end with /."
  }
}

variable "library_key" {
  description = "Key of the pipeline library archive passed in --extra-py-files."
  type        = string
  default     = "glue/lib/energy_lake.zip"

  validation {
    condition     = endswith(var.library_key, ".zip")
    error_message = "library_key must name a .zip archive."
  }
}

variable "temp_prefix" {
  description = "Key prefix of the Glue --TempDir in the artifacts bucket."
  type        = string
  default     = "glue/tmp/"

  validation {
    condition     = can(regex("^[a-z0-9_/-]+/$", var.temp_prefix))
    error_message = "temp_prefix must end with /."
  }
}

variable "zone_uris" {
  description = "Root URI of each zone (landing, raw, transform, analytics), passed as --<zone>_uri."
  type        = map(string)

  validation {
    condition     = toset(keys(var.zone_uris)) == toset(["landing", "raw", "transform", "analytics"])
    error_message = "zone_uris must have exactly the keys landing, raw, transform and analytics."
  }
  validation {
    condition     = alltrue([for u in values(var.zone_uris) : can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9]$", u))])
    error_message = "zone_uris must be bucket roots (s3://bucket)."
  }
}

variable "state_uri" {
  description = "URI of the run lock, run manifests and logs, passed as --state_uri."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9]/[A-Za-z0-9_.-]+$", var.state_uri))
    error_message = "state_uri must be s3://bucket/<folder>."
  }
}

variable "databases" {
  description = "Glue database per catalogued zone (raw, transform, analytics), passed as --<zone>_database."
  type        = map(string)

  validation {
    condition     = toset(keys(var.databases)) == toset(["raw", "transform", "analytics"])
    error_message = "databases must have exactly the keys raw, transform and analytics."
  }
}

variable "kms_key_arn" {
  description = "The lake's KMS key: security configuration, SSM parameter, job access."
  type        = string
}

variable "pii_key_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the PII token key (passed as --pii_key_parameter)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.pii_key_parameter_name))
    error_message = "pii_key_parameter_name must be a hierarchical SSM name starting with /."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the jobs may publish custom metrics to."
  type        = string
  default     = "EnergyLake"
}

variable "schedule" {
  description = "Cron expression (UTC) of the workflow's start trigger."
  type        = string
  default     = "cron(0 5 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule))
    error_message = "schedule must be a cron(...) expression."
  }
}

variable "schedule_enabled" {
  description = "Whether the scheduled start trigger is active."
  type        = bool
  default     = true
}

variable "shared_tables" {
  description = "Per job key: the tables it writes outside its own zone (<zone>.<table>: the data quality results, the build log), given S3 and catalog access."
  type        = map(list(string))

  validation {
    condition     = toset(keys(var.shared_tables)) == toset(["landing_to_raw", "raw_to_transform", "transform_to_analytics"])
    error_message = "shared_tables must have exactly the job keys."
  }
  validation {
    condition     = alltrue(flatten([for ts in values(var.shared_tables) : [for t in ts : can(regex("^(raw|transform|analytics)\\.[a-z_]+$", t))]]))
    error_message = "shared_tables entries must be <zone>.<table>."
  }
}

variable "iceberg_catalog" {
  description = "Name the job code gives the Iceberg catalog (energy_lake.etl.lake.iceberg.CATALOG), bound to the Glue Data Catalog by the jobs' --conf."
  type        = string
  default     = "lake"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.iceberg_catalog))
    error_message = "iceberg_catalog must be a lowercase identifier."
  }
}

variable "python_modules_key" {
  description = "Key of the zip of wheels (the packages the job library needs beyond Glue 5.1's own, built and uploaded by deploy_glue_jobs.py) passed in --additional-python-modules and installed with pip --no-index."
  type        = string
  default     = "glue/lib/python-modules.gluewheels.zip"

  # A zip of wheels is recognised by its .gluewheels.zip name (Glue 5.0 and later):
  # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html#glue-python-library-zip-of-wheels-appendix
  validation {
    condition     = endswith(var.python_modules_key, ".gluewheels.zip")
    error_message = "python_modules_key must name a .gluewheels.zip archive (a zip of wheels)."
  }
}

variable "network" {
  description = "Where the jobs run: the lake's VPC, its private subnets (one Glue NETWORK connection each, in this order) and the security groups of the Glue workers (modules/network)."
  type = object({
    vpc_id             = string
    subnets            = list(object({ subnet_id = string, availability_zone = string }))
    security_group_ids = list(string)
  })

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.network.vpc_id))
    error_message = "network.vpc_id must be a VPC id (vpc-...)."
  }
  validation {
    condition     = length(var.network.subnets) >= 1 && length(var.network.security_group_ids) >= 1
    error_message = "network needs at least one subnet and one security group."
  }
  validation {
    condition     = alltrue([for s in var.network.subnets : can(regex("^subnet-[0-9a-f]+$", s.subnet_id)) && can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", s.availability_zone))])
    error_message = "network.subnets entries need a subnet id (subnet-...) and its availability zone (eu-west-1a)."
  }
  validation {
    condition     = alltrue([for g in var.network.security_group_ids : can(regex("^sg-[0-9a-f]+$", g))])
    error_message = "network.security_group_ids must be security group ids (sg-...)."
  }
}
