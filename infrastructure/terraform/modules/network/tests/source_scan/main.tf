# Test helper (tests/validations.tftest.hcl): what of the network module's own *.tf files would give
# the VPC a way to the internet. No provider, no resource: it only reads the files.

locals {
  module_dir = "${path.module}/../.."
  source     = join("\n", [for f in sort(fileset(local.module_dir, "*.tf")) : file("${local.module_dir}/${f}")])
}

output "internet_resources" {
  description = "Internet, egress-only internet, NAT and carrier gateways the module declares (must be none)."
  value       = regexall("resource\\s+\"(?:aws_internet_gateway|aws_egress_only_internet_gateway|aws_nat_gateway|aws_ec2_carrier_gateway)\"", local.source)
}

output "internet_routes" {
  description = "Route arguments that could lead to a gateway or the internet (must be none)."
  value       = regexall("(?:gateway_id|nat_gateway_id|egress_only_gateway_id|carrier_gateway_id|0\\.0\\.0\\.0/0|::/0)", local.source)
}
