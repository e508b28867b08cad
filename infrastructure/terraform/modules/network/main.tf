# Network: the private VPC the Glue jobs run in, with no internet gateway and no NAT gateway. The
# jobs reach S3 through a gateway endpoint and every other AWS API they call through interface
# endpoints, each endpoint policy letting only the job roles through, for what the jobs do. VPC flow
# logs (all traffic) go to a log group encrypted with the lake key. With `existing`, the VPC,
# subnets and route tables are an environment's own and only the rest is created here.

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  create_vpc = var.existing == null

  names = {
    vpc            = "${var.name_prefix}-glue"
    glue_sg        = "${var.name_prefix}-glue-workers"
    endpoints_sg   = "${var.name_prefix}-vpc-endpoints"
    flow_log_group = "/aws/vpc-flow-logs/${var.name_prefix}"
    flow_log_role  = "${var.name_prefix}-vpc-flow-logs"
  }

  # Created subnets: one per zone, in zone order, cut from the VPC range in that order.
  zones        = sort(var.availability_zones)
  vpc_prefix   = tonumber(split("/", var.vpc_cidr)[1])
  subnet_cidrs = local.create_vpc ? { for i, az in local.zones : az => cidrsubnet(var.vpc_cidr, var.subnet_prefix_length - local.vpc_prefix, i) } : {}

  existing_subnet_ids = local.create_vpc ? [] : var.existing.subnet_ids

  vpc_id = local.create_vpc ? aws_vpc.this[0].id : var.existing.vpc_id
  # The subnets a Glue NETWORK connection may name, in zone order (one connection per zone).
  glue_subnets = local.create_vpc ? [
    for az in local.zones : { subnet_id = aws_subnet.this[az].id, availability_zone = az }
    ] : [
    for key in sort([for id, s in data.aws_subnet.existing : "${s.availability_zone} ${id}"]) :
    { subnet_id = split(" ", key)[1], availability_zone = split(" ", key)[0] }
  ]
  subnet_ids      = [for s in local.glue_subnets : s.subnet_id]
  route_table_ids = local.create_vpc ? [aws_route_table.private[0].id] : var.existing.route_table_ids

  # Every endpoint policy statement lets the job roles through and nobody else. The principal is
  # matched with aws:PrincipalArn under Principal "*": a gateway endpoint policy can only name
  # principals that way (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html#vpc-endpoint-policies-gateway),
  # and the condition needs no role to exist when the policy is written.
  only_jobs = { ArnEquals = { "aws:PrincipalArn" = var.principal_arns } }

  arn = {
    glue = "arn:${local.partition}:glue:${var.region}:${var.account_id}"
    logs = "arn:${local.partition}:logs:${var.region}:${var.account_id}"
    ssm  = "arn:${local.partition}:ssm:${var.region}:${var.account_id}"
  }

  # What the jobs call through each interface endpoint: the actions of the job roles
  # (modules/glue_jobs), on the lake's resources where the service has resource-level permissions.
  # Each of these services supports endpoint policies: glue
  # (https://docs.aws.amazon.com/glue/latest/dg/vpc-interface-endpoints.html), lakeformation
  # (https://docs.aws.amazon.com/lake-formation/latest/dg/privatelink.html), kms
  # (https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html), logs
  # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch-logs-and-interface-VPC.html), monitoring
  # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-interface-VPC.html), ssm
  # (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html), sts
  # (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_sts_vpce.html).
  endpoint_statements = {
    glue = [{
      # Iceberg's GlueCatalog (load, commit), the lock's liveness check, the job's own connection.
      Sid    = "IcebergCatalogAndJobRuns"
      Action = ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable", "glue:GetJobRun", "glue:GetConnection"]
      Resource = [
        "${local.arn.glue}:catalog",
        "${local.arn.glue}:database/*",
        "${local.arn.glue}:table/*/*",
        "${local.arn.glue}:job/${var.name_prefix}-*",
        "${local.arn.glue}:connection/${var.name_prefix}-*",
      ]
      Condition = local.only_jobs
    }]
    lakeformation = [{
      # Credential vending for the registered zones; the action has no resource-level form.
      Sid       = "DataAccess"
      Action    = ["lakeformation:GetDataAccess"]
      Resource  = ["*"]
      Condition = local.only_jobs
    }]
    kms = [{
      Sid       = "LakeKey"
      Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource  = [var.kms_key_arn]
      Condition = local.only_jobs
    }]
    logs = [{
      # Glue's job logs (/aws-glue/...), encrypted with the lake key by the security configuration.
      Sid       = "GlueJobLogs"
      Action    = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
      Resource  = ["${local.arn.logs}:log-group:/aws-glue/*", "${local.arn.logs}:log-group:/aws-glue/*:log-stream:*"]
      Condition = local.only_jobs
    }]
    monitoring = [{
      # PutMetricData has no resource-level form; it is limited by namespace instead.
      Sid       = "JobMetrics"
      Action    = ["cloudwatch:PutMetricData"]
      Resource  = ["*"]
      Condition = merge(local.only_jobs, { StringEquals = { "cloudwatch:namespace" = var.metrics_namespaces } })
    }]
    ssm = [{
      Sid       = "PiiKey"
      Action    = ["ssm:GetParameter"]
      Resource  = [for n in var.ssm_parameter_names : "${local.arn.ssm}:parameter${n}"]
      Condition = local.only_jobs
    }]
    sts = [{
      # The job code calls no STS action (src/etl); GetCallerIdentity, which needs no permission,
      # is the only one let through.
      Sid       = "CallerIdentity"
      Action    = ["sts:GetCallerIdentity"]
      Resource  = ["*"]
      Condition = local.only_jobs
    }]
  }

  # A service an environment adds: the job roles only, whatever they are allowed by IAM.
  added_service_statements = [{ Sid = "JobRolesOnly", Action = ["*"], Resource = ["*"], Condition = local.only_jobs }]

  endpoint_policies = {
    for svc in var.interface_services : svc => jsonencode({
      Version = "2012-10-17"
      Statement = [
        for st in try(local.endpoint_statements[svc], local.added_service_statements) :
        merge({ Effect = "Allow", Principal = "*" }, st)
      ]
    })
  }
}

# ---------------------------------------------------------------------------------------------
# VPC, private subnets, route tables (only without `existing`)
# ---------------------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block = var.vpc_cidr
  # Private DNS of the interface endpoints (glue.<region>.amazonaws.com resolving to the endpoint)
  # needs both; Glue also fails without DNS hostnames
  # (https://docs.aws.amazon.com/glue/latest/dg/glue-troubleshooting-errors.html).
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = local.names.vpc
  }
}

# No rule at all: nothing may use the default security group (CIS 5.4, checkov CKV2_AWS_12).
resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = {
    Name = "${local.names.vpc}-default-unused"
  }
}

resource "aws_subnet" "this" {
  for_each = local.subnet_cidrs

  vpc_id                  = aws_vpc.this[0].id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = {
    Name = "${local.names.vpc}-private-${each.key}"
  }
}

# Only the local route and the S3 gateway endpoint's prefix-list routes (added by the endpoint);
# there is no internet gateway or NAT gateway to route to. No `route` block: Terraform would
# otherwise remove the endpoint's routes.
resource "aws_route_table" "private" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = {
    Name = "${local.names.vpc}-private"
  }
}

resource "aws_route_table_association" "this" {
  for_each = aws_subnet.this

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[0].id
}

# An existing VPC: its subnets' zones (the output, the checks below) and its DNS settings.
data "aws_subnet" "existing" {
  for_each = toset(local.existing_subnet_ids)

  id = each.value
}

data "aws_vpc" "existing" {
  count = local.create_vpc ? 0 : 1

  id = var.existing.vpc_id
}

# ---------------------------------------------------------------------------------------------
# Security groups
# ---------------------------------------------------------------------------------------------

# The Glue workers' group (named by the jobs' NETWORK connections). Spark's driver and executors
# talk to each other on any port, so AWS Glue requires a group with a self-referencing inbound rule
# for all TCP ports, and an outbound one (self, or all traffic)
# (https://docs.aws.amazon.com/glue/latest/dg/setup-vpc-for-glue-access.html). Outbound is otherwise
# only HTTPS to the interface endpoints and to S3's prefix list (the gateway endpoint). The rules are
# inline: `self = true` is the self-reference, and the group has no rule managed elsewhere.
resource "aws_security_group" "glue" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: AWS Glue puts it on the workers' network interfaces through the jobs' NETWORK connections, which name it (modules outside this one).
  name        = local.names.glue_sg
  description = "Glue workers of ${var.name_prefix}: all TCP among themselves, HTTPS to the VPC endpoints and S3."
  vpc_id      = local.vpc_id

  ingress {
    description = "Spark driver and executors: all TCP from the Glue workers themselves (AWS Glue requires it)."
    protocol    = "tcp"
    from_port   = 0
    to_port     = 65535
    self        = true
  }

  egress {
    description = "Spark driver and executors: all TCP to the Glue workers themselves (AWS Glue requires it)."
    protocol    = "tcp"
    from_port   = 0
    to_port     = 65535
    self        = true
  }

  egress {
    description     = "HTTPS to the interface endpoints (Glue, Lake Formation, KMS, Logs, CloudWatch, SSM, STS)."
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    security_groups = [aws_security_group.endpoints.id]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint (its prefix list)."
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id]
  }

  tags = {
    Name = local.names.glue_sg
  }

  lifecycle {
    precondition {
      condition     = local.create_vpc || alltrue([for s in values(data.aws_subnet.existing) : s.vpc_id == var.existing.vpc_id])
      error_message = "existing.subnet_ids must all be subnets of existing.vpc_id."
    }
    precondition {
      # An interface endpoint takes at most one subnet per zone; failover needs two zones.
      condition     = local.create_vpc || length(distinct([for s in values(data.aws_subnet.existing) : s.availability_zone])) == length(local.existing_subnet_ids)
      error_message = "existing.subnet_ids must be in distinct availability zones (one subnet per zone, at least two zones)."
    }
    precondition {
      condition     = local.create_vpc || try(data.aws_vpc.existing[0].enable_dns_support && data.aws_vpc.existing[0].enable_dns_hostnames, false)
      error_message = "The existing VPC must have DNS support and DNS hostnames enabled: the interface endpoints' private DNS and AWS Glue need them."
    }
  }
}

# The interface endpoints' network interfaces: HTTPS from the Glue workers, nothing else. No
# outbound rule: an endpoint answers on the connection it was asked on (security groups are stateful).
resource "aws_security_group" "endpoints" {
  name        = local.names.endpoints_sg
  description = "Interface endpoints of ${var.name_prefix}: HTTPS from the Glue workers only."
  vpc_id      = local.vpc_id

  tags = {
    Name = local.names.endpoints_sg
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_glue" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the Glue workers."
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.glue.id
}

# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------

# S3 through a gateway endpoint on the private route tables: Glue refuses a VPC job run without an
# S3 endpoint or a NAT gateway (https://docs.aws.amazon.com/glue/latest/dg/vpc-endpoints-s3.html).
# Only the job roles, only the lake's buckets and their objects. No AWS-owned bucket: a Glue Spark
# job's script, --extra-py-files and --additional-python-modules are all in the artifacts bucket
# (one of bucket_arns), and Glue's own libraries (Iceberg with --datalake-formats) ship in the Glue
# runtime. The only AWS bucket the Glue service role policy names, crawler-public*, holds crawler
# samples; aws-glue-* are buckets of your own account
# (https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html).
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.route_table_ids

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LakeBuckets"
      Effect    = "Allow"
      Principal = "*"
      # What the job roles do in S3 (modules/glue_jobs); multipart uploads and conditional writes
      # are s3:PutObject.
      Action    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListBucket", "s3:GetBucketLocation"]
      Resource  = concat(var.bucket_arns, [for b in var.bucket_arns : "${b}/*"])
      Condition = local.only_jobs
    }]
  })

  tags = {
    Name = "${var.name_prefix}-s3"
  }
}

# The APIs the jobs call besides S3 (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html):
# the Glue Data Catalog (Iceberg's GlueCatalog) and job runs, Lake Formation, KMS (the Data Catalog
# and the lake are encrypted with it: https://docs.aws.amazon.com/glue/latest/dg/connection-JDBC-VPC.html),
# CloudWatch Logs and metrics, SSM Parameter Store, STS. Private DNS on, so the SDKs' default
# regional names resolve to the endpoints.
resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_services)

  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.subnet_ids
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = local.endpoint_policies[each.key]

  tags = {
    Name = "${var.name_prefix}-${each.key}"
  }
}

# ---------------------------------------------------------------------------------------------
# Flow logs: all traffic, to a log group encrypted with the lake key
# ---------------------------------------------------------------------------------------------

# The CloudWatch Logs service encrypts with the key; the key policy must let
# logs.<region>.amazonaws.com use it for this group's ARN (modules/data_zones, statement CloudWatchLogs;
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = local.names.flow_log_group
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Trusts the flow-logs service for this account's flow logs only (the confused-deputy conditions
# AWS documents: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
resource "aws_iam_role" "flow_logs" {
  name                 = local.names.flow_log_role
  description          = "VPC flow logs of ${var.name_prefix} write to ${local.names.flow_log_group}."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ec2:${var.region}:${var.account_id}:vpc-flow-log/*" }
      }
    }]
  })
}

# The group exists (Terraform made it), so no logs:CreateLogGroup; streams and events in it only.
resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "FlowLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
    }]
  })
}

resource "aws_flow_log" "this" {
  # Written out (not local.vpc_id) so that checkov sees the created VPC's flow log (CKV2_AWS_11).
  vpc_id               = local.create_vpc ? aws_vpc.this[0].id : var.existing.vpc_id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = {
    Name = "${var.name_prefix}-vpc"
  }

  # The role must be able to write before the first delivery.
  depends_on = [aws_iam_role_policy.flow_logs]
}
