variable "name_prefix" {
  description = "Prefix of every name in this module (<org>-<env>), computed once by the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens (2-41 characters)."
  }
}

variable "region" {
  description = "AWS region of the VPC (endpoint service names, ARNs in the endpoint policies)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account of the VPC and of the Glue job roles (ARNs in the endpoint and trust policies)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "The lake's KMS key: encrypts the flow-log group; the only key the KMS endpoint lets the jobs use."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "principal_arns" {
  description = "IAM role ARNs of the Glue jobs: the only principals the endpoint policies let through."
  type        = list(string)

  validation {
    condition     = length(var.principal_arns) > 0
    error_message = "principal_arns must name at least one role: an empty list would let nobody through the endpoints."
  }
  validation {
    condition     = alltrue([for a in var.principal_arns : can(regex("^arn:aws[a-z-]*:iam::${var.account_id}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "principal_arns must be IAM role ARNs of account_id (arn:aws:iam::<account_id>:role/<name>)."
  }
}

variable "bucket_arns" {
  description = "ARNs of the buckets the jobs use (zones, artifacts with the job scripts and wheels, state): the only buckets the S3 gateway endpoint reaches."
  type        = list(string)

  validation {
    condition     = length(var.bucket_arns) > 0
    error_message = "bucket_arns must name at least the artifacts bucket: a job reads its script from it before anything else."
  }
  validation {
    condition     = alltrue([for a in var.bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "bucket_arns must be bucket ARNs (arn:aws:s3:::<bucket>), without an object path."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC the module creates (unused with existing)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$", var.vpc_cidr)) && can(cidrnetmask(var.vpc_cidr)) && try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr must be an IPv4 network in CIDR notation with no host bits set (for example 10.40.0.0/16)."
  }
  validation {
    # The VPC limits (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
    condition     = try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 28, false)
    error_message = "vpc_cidr must be between /16 and /28."
  }
}

variable "availability_zones" {
  description = "Availability zones of the private subnets the module creates, one subnet each (unused with existing)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.existing != null || length(distinct(var.availability_zones)) >= 2
    error_message = "availability_zones must list at least two distinct zones: the jobs' network connections fail over between zones."
  }
  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must not repeat a zone."
  }
  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^${var.region}[a-z]$", az))])
    error_message = "availability_zones must be zone names of region (for example eu-west-1a)."
  }
}

variable "subnet_prefix_length" {
  description = "Prefix length of each private subnet; every Glue worker takes one of its addresses."
  type        = number
  default     = 20

  validation {
    # AWS subnets are /16 to /28 (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
    condition     = var.subnet_prefix_length >= 16 && var.subnet_prefix_length <= 28 && floor(var.subnet_prefix_length) == var.subnet_prefix_length
    error_message = "subnet_prefix_length must be a whole number between 16 and 28."
  }
  validation {
    condition     = var.existing != null || try(var.subnet_prefix_length > tonumber(split("/", var.vpc_cidr)[1]) && pow(2, var.subnet_prefix_length - tonumber(split("/", var.vpc_cidr)[1])) >= length(var.availability_zones), false)
    error_message = "subnet_prefix_length must be longer than the vpc_cidr prefix, with room in vpc_cidr for one subnet per availability zone."
  }
}

variable "existing" {
  description = "An existing VPC to use instead of creating one: its id, private subnets (one per zone, at least two zones) and their route tables. The module then creates no VPC, subnets or route tables."
  type = object({
    vpc_id          = string
    subnet_ids      = list(string)
    route_table_ids = list(string)
  })
  default = null

  validation {
    condition     = var.existing == null || try(can(regex("^vpc-[0-9a-f]+$", var.existing.vpc_id)), false)
    error_message = "existing.vpc_id must be a VPC id (vpc-...)."
  }
  validation {
    condition     = var.existing == null || try(length(distinct(var.existing.subnet_ids)) >= 2 && alltrue([for s in var.existing.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))]), false)
    error_message = "existing.subnet_ids must be at least two distinct subnet ids (subnet-...), one per availability zone."
  }
  validation {
    condition     = var.existing == null || try(length(var.existing.route_table_ids) >= 1 && alltrue([for r in var.existing.route_table_ids : can(regex("^rtb-[0-9a-f]+$", r))]), false)
    error_message = "existing.route_table_ids must be at least one route table id (rtb-...): the S3 gateway endpoint is a route in them."
  }
}

variable "interface_services" {
  description = "Services reached through interface endpoints (the part after com.amazonaws.<region>.). The default is what the jobs call; an environment may add more (their endpoints get a policy limited to principal_arns)."
  type        = list(string)
  default     = ["glue", "kms", "lakeformation", "logs", "monitoring", "ssm", "sts"]

  validation {
    condition     = alltrue([for s in var.interface_services : can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)*$", s))]) && length(distinct(var.interface_services)) == length(var.interface_services)
    error_message = "interface_services must be distinct endpoint service suffixes such as glue or ecr.api."
  }
  validation {
    condition     = length(setsubtract(["glue", "kms", "lakeformation", "logs", "monitoring", "ssm", "sts"], var.interface_services)) == 0
    error_message = "interface_services must keep glue, kms, lakeformation, logs, monitoring, ssm and sts: without one of them a job in this VPC cannot reach that service."
  }
}

variable "ssm_parameter_names" {
  description = "SSM parameters the jobs read (the PII token key), the only ones the SSM endpoint lets through."
  type        = list(string)

  validation {
    condition     = length(var.ssm_parameter_names) > 0 && alltrue([for n in var.ssm_parameter_names : can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", n))])
    error_message = "ssm_parameter_names must be at least one hierarchical SSM name starting with /."
  }
}

variable "metrics_namespaces" {
  description = "CloudWatch namespaces the jobs publish metrics to (the pipeline's and Glue's own), the only ones the monitoring endpoint lets through."
  type        = list(string)
  default     = ["EnergyLake", "Glue"]

  validation {
    condition     = length(var.metrics_namespaces) > 0 && alltrue([for n in var.metrics_namespaces : can(regex("^[A-Za-z0-9_./#:-]{1,255}$", n)) && !startswith(n, "AWS/")])
    error_message = "metrics_namespaces must be at least one custom namespace (not AWS/...)."
  }
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept."
  type        = number
  default     = 365

  validation {
    # The values CloudWatch Logs accepts (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}
