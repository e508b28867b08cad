# The network variable validations and preconditions, and what the module must never hold
# (run by tests/integration/test_terraform_validations.py: `terraform test`, mocked provider, no AWS).

mock_provider "aws" {
  # Mocked ARNs would be random strings, which aws_flow_log refuses as ARNs.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/energylake-dev-vpc-flow-logs" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/vpc-flow-logs/energylake-dev" }
  }
}

variables {
  name_prefix         = "energylake-dev"
  region              = "eu-west-1"
  account_id          = "111111111111"
  kms_key_arn         = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000"
  principal_arns      = ["arn:aws:iam::111111111111:role/energylake-dev-glue-landing-to-raw", "arn:aws:iam::111111111111:role/energylake-dev-glue-raw-to-transform"]
  bucket_arns         = ["arn:aws:s3:::energylake-dev-artifacts", "arn:aws:s3:::energylake-dev-raw"]
  availability_zones  = ["eu-west-1b", "eu-west-1a"]
  ssm_parameter_names = ["/energylake/dev/pii-token-key"]
}

run "valid_inputs_plan" {
  command = plan

  assert {
    condition     = aws_subnet.this["eu-west-1a"].cidr_block == "10.40.0.0/20" && aws_subnet.this["eu-west-1b"].cidr_block == "10.40.16.0/20"
    error_message = "one /20 per zone, cut in zone order"
  }
  assert {
    condition     = [for s in output.network_glue_subnets : s.availability_zone] == ["eu-west-1a", "eu-west-1b"]
    error_message = "the subnets are listed in zone order"
  }
  assert {
    condition     = aws_vpc.this[0].enable_dns_support && aws_vpc.this[0].enable_dns_hostnames
    error_message = "the interface endpoints' private DNS needs DNS support and hostnames"
  }
  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["glue", "kms", "lakeformation", "logs", "monitoring", "ssm", "sts"])
    error_message = "one interface endpoint per service the jobs call"
  }
  assert {
    condition     = alltrue([for e in values(aws_vpc_endpoint.interface) : e.private_dns_enabled && e.vpc_endpoint_type == "Interface"])
    error_message = "interface endpoints with private DNS"
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 is reached through a gateway endpoint"
  }
  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "flow logs of all traffic to a log group encrypted with the lake key, kept a year"
  }
  assert {
    condition     = [for r in aws_security_group.glue.ingress : [r.protocol, r.from_port, r.to_port, r.self == true, try(length(r.cidr_blocks), 0), try(length(r.security_groups), 0)]] == [["tcp", 0, 65535, true, 0, 0]]
    error_message = "the Glue group's one inbound rule: all TCP from itself (the self-referencing rule AWS Glue requires)"
  }
  assert {
    condition     = length([for r in aws_security_group.glue.egress : r if r.self == true && r.protocol == "tcp" && r.from_port == 0 && r.to_port == 65535]) == 1
    error_message = "the Glue group's outbound self-referencing all-TCP rule"
  }
  assert {
    condition     = alltrue([for r in aws_security_group.glue.egress : try(length(r.cidr_blocks), 0) == 0 && try(length(r.ipv6_cidr_blocks), 0) == 0])
    error_message = "no outbound rule of the Glue group goes to an address range (no internet)"
  }
}

# Applied on the mocked provider so that ids are known.
run "endpoint_rules_and_policies" {
  command = apply

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_from_glue.referenced_security_group_id == aws_security_group.glue.id && aws_vpc_security_group_ingress_rule.endpoints_from_glue.from_port == 443
    error_message = "the endpoints admit HTTPS from the Glue workers only"
  }
  assert {
    condition     = toset([for r in aws_security_group.glue.egress : one(r.prefix_list_ids) if try(length(r.prefix_list_ids), 0) > 0]) == toset([aws_vpc_endpoint.s3.prefix_list_id]) && toset(flatten([for r in aws_security_group.glue.egress : coalesce(r.security_groups, [])])) == toset([aws_security_group.endpoints.id])
    error_message = "the Glue workers reach S3 through the gateway endpoint's prefix list, the rest through the endpoints' group"
  }
  assert {
    condition     = length(aws_route_table.private[0].route) == 0
    error_message = "the private route table holds no route of its own (no internet gateway, no NAT)"
  }
  assert {
    condition     = alltrue([for e in values(aws_vpc_endpoint.interface) : alltrue([for st in jsondecode(e.policy).Statement : tolist(st.Condition.ArnEquals["aws:PrincipalArn"]) == var.principal_arns])])
    error_message = "every interface endpoint policy lets the job roles only"
  }
  assert {
    condition     = tolist(jsondecode(aws_vpc_endpoint.s3.policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"]) == var.principal_arns && toset(jsondecode(aws_vpc_endpoint.s3.policy).Statement[0].Resource) == toset(concat(var.bucket_arns, [for b in var.bucket_arns : "${b}/*"]))
    error_message = "the S3 endpoint lets the job roles reach the lake's buckets and nothing else"
  }
  assert {
    condition     = jsondecode(aws_vpc_endpoint.interface["kms"].policy).Statement[0].Resource == [var.kms_key_arn]
    error_message = "the KMS endpoint reaches the lake key only"
  }
  assert {
    condition     = jsondecode(aws_vpc_endpoint.interface["ssm"].policy).Statement[0].Resource == ["arn:${data.aws_partition.current.partition}:ssm:eu-west-1:111111111111:parameter/energylake/dev/pii-token-key"]
    error_message = "the SSM endpoint reaches the PII key parameter only"
  }
  assert {
    condition     = jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == var.account_id
    error_message = "the flow-logs role trusts this account's flow logs only (confused deputy)"
  }
}

# The module's own source holds no internet gateway, egress-only gateway or NAT gateway, and no route
# to one (tests/source_scan reads the *.tf files).
run "no_internet_gateway_or_nat_in_the_module" {
  command = apply
  module {
    source = "./tests/source_scan"
  }

  assert {
    condition     = length(output.internet_resources) == 0
    error_message = "the module must not declare an internet gateway or a NAT gateway: ${join(", ", output.internet_resources)}"
  }
  assert {
    condition     = length(output.internet_routes) == 0
    error_message = "the module must not route to an internet or NAT gateway: ${join(", ", output.internet_routes)}"
  }
}

# An existing VPC: no VPC, subnet or route table is created; the rest goes into the given ones.
run "an_existing_vpc_creates_no_vpc" {
  command = apply
  variables {
    availability_zones = []
    existing = {
      vpc_id          = "vpc-0a1b2c3d"
      subnet_ids      = ["subnet-0bbb", "subnet-0aaa"]
      route_table_ids = ["rtb-0aaa", "rtb-0bbb"]
    }
  }
  override_data {
    target = data.aws_vpc.existing
    values = { enable_dns_support = true, enable_dns_hostnames = true }
  }
  override_data {
    target = data.aws_subnet.existing["subnet-0aaa"]
    values = { vpc_id = "vpc-0a1b2c3d", availability_zone = "eu-west-1b" }
  }
  override_data {
    target = data.aws_subnet.existing["subnet-0bbb"]
    values = { vpc_id = "vpc-0a1b2c3d", availability_zone = "eu-west-1a" }
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_subnet.this) == 0 && length(aws_route_table.private) == 0 && length(aws_default_security_group.this) == 0
    error_message = "no VPC, subnet, route table or default-group change in an existing VPC"
  }
  assert {
    condition     = output.network_vpc_id == "vpc-0a1b2c3d" && aws_security_group.glue.vpc_id == "vpc-0a1b2c3d" && aws_flow_log.this.vpc_id == "vpc-0a1b2c3d"
    error_message = "the groups and the flow log go into the existing VPC"
  }
  assert {
    condition     = output.network_glue_subnets == tolist([{ subnet_id = "subnet-0bbb", availability_zone = "eu-west-1a" }, { subnet_id = "subnet-0aaa", availability_zone = "eu-west-1b" }])
    error_message = "the existing subnets, in zone order"
  }
  assert {
    condition     = toset(aws_vpc_endpoint.s3.route_table_ids) == toset(["rtb-0aaa", "rtb-0bbb"]) && toset(aws_vpc_endpoint.interface["glue"].subnet_ids) == toset(["subnet-0aaa", "subnet-0bbb"])
    error_message = "the endpoints go on the existing route tables and subnets"
  }
}

# Two subnets in one zone: an interface endpoint takes one subnet per zone, and failover needs two zones.
run "existing_subnets_in_one_zone_are_refused" {
  command = plan
  variables {
    availability_zones = []
    existing = {
      vpc_id          = "vpc-0a1b2c3d"
      subnet_ids      = ["subnet-0aaa", "subnet-0bbb"]
      route_table_ids = ["rtb-0aaa"]
    }
  }
  override_data {
    target = data.aws_vpc.existing
    values = { enable_dns_support = true, enable_dns_hostnames = true }
  }
  override_data {
    target = data.aws_subnet.existing
    values = { vpc_id = "vpc-0a1b2c3d", availability_zone = "eu-west-1a" }
  }
  expect_failures = [aws_security_group.glue]
}

run "an_existing_vpc_without_dns_hostnames_is_refused" {
  command = plan
  variables {
    availability_zones = []
    existing = {
      vpc_id          = "vpc-0a1b2c3d"
      subnet_ids      = ["subnet-0aaa", "subnet-0bbb"]
      route_table_ids = ["rtb-0aaa"]
    }
  }
  override_data {
    target = data.aws_vpc.existing
    values = { enable_dns_support = true, enable_dns_hostnames = false }
  }
  override_data {
    target = data.aws_subnet.existing["subnet-0aaa"]
    values = { vpc_id = "vpc-0a1b2c3d", availability_zone = "eu-west-1a" }
  }
  override_data {
    target = data.aws_subnet.existing["subnet-0bbb"]
    values = { vpc_id = "vpc-0a1b2c3d", availability_zone = "eu-west-1b" }
  }
  expect_failures = [aws_security_group.glue]
}

run "a_malformed_existing_vpc_is_refused" {
  command = plan
  variables {
    availability_zones = []
    existing = {
      vpc_id          = "my-vpc"
      subnet_ids      = ["subnet-0aaa"]
      route_table_ids = []
    }
  }
  expect_failures = [var.existing]
}

run "one_availability_zone_is_refused" {
  command = plan
  variables {
    availability_zones = ["eu-west-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "a_zone_of_another_region_is_refused" {
  command = plan
  variables {
    availability_zones = ["eu-west-1a", "us-east-1b"]
  }
  expect_failures = [var.availability_zones]
}

run "an_invalid_vpc_cidr_is_refused" {
  command = plan
  variables {
    vpc_cidr = "10.40.0.1/16"
  }
  expect_failures = [var.vpc_cidr]
}

run "a_vpc_cidr_wider_than_16_is_refused" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/8"
  }
  expect_failures = [var.vpc_cidr]
}

run "subnets_that_do_not_fit_are_refused" {
  command = plan
  variables {
    vpc_cidr             = "10.40.0.0/20"
    subnet_prefix_length = 20
  }
  expect_failures = [var.subnet_prefix_length]
}

run "a_subnet_smaller_than_28_is_refused" {
  command = plan
  variables {
    subnet_prefix_length = 29
  }
  expect_failures = [var.subnet_prefix_length]
}

run "no_principal_is_refused" {
  command = plan
  variables {
    principal_arns = []
  }
  expect_failures = [var.principal_arns]
}

run "a_role_of_another_account_is_refused" {
  command = plan
  variables {
    principal_arns = ["arn:aws:iam::222222222222:role/energylake-dev-glue-landing-to-raw"]
  }
  expect_failures = [var.principal_arns]
}

run "an_object_arn_as_bucket_is_refused" {
  command = plan
  variables {
    bucket_arns = ["arn:aws:s3:::energylake-dev-raw/*"]
  }
  expect_failures = [var.bucket_arns]
}

run "a_kms_alias_is_refused" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:alias/energylake-dev"
  }
  expect_failures = [var.kms_key_arn]
}

run "dropping_a_needed_endpoint_is_refused" {
  command = plan
  variables {
    interface_services = ["glue", "kms", "lakeformation", "logs", "monitoring", "ssm"]
  }
  expect_failures = [var.interface_services]
}

run "an_added_endpoint_is_allowed" {
  command = plan
  variables {
    interface_services = ["glue", "kms", "lakeformation", "logs", "monitoring", "ssm", "sts", "secretsmanager"]
  }

  assert {
    condition     = aws_vpc_endpoint.interface["secretsmanager"].service_name == "com.amazonaws.eu-west-1.secretsmanager"
    error_message = "an environment may add an interface endpoint"
  }
}

run "a_retention_cloudwatch_refuses_is_refused" {
  command = plan
  variables {
    flow_log_retention_days = 100
  }
  expect_failures = [var.flow_log_retention_days]
}

run "a_relative_ssm_name_is_refused" {
  command = plan
  variables {
    ssm_parameter_names = ["energylake/dev/pii-token-key"]
  }
  expect_failures = [var.ssm_parameter_names]
}

run "an_aws_metrics_namespace_is_refused" {
  command = plan
  variables {
    metrics_namespaces = ["AWS/Glue"]
  }
  expect_failures = [var.metrics_namespaces]
}

run "an_uppercase_name_prefix_is_refused" {
  command = plan
  variables {
    name_prefix = "EnergyLake-dev"
  }
  expect_failures = [var.name_prefix]
}

run "a_malformed_region_is_refused" {
  command = plan
  variables {
    region = "Ireland"
  }
  expect_failures = [var.region]
}

run "a_short_account_id_is_refused" {
  command = plan
  variables {
    account_id = "1111"
  }
  expect_failures = [var.account_id]
}

run "a_repeated_zone_is_refused" {
  command = plan
  variables {
    availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1a"]
  }
  expect_failures = [var.availability_zones]
}
