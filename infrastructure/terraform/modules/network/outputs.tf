output "network_vpc_id" {
  description = "Id of the VPC the Glue jobs run in (created, or existing.vpc_id)."
  value       = local.vpc_id
}

output "network_glue_subnets" {
  description = "The private subnets for the jobs' NETWORK connections, in availability-zone order: subnet_id and availability_zone of each (one connection per zone)."
  value       = local.glue_subnets
}

output "network_glue_security_group_id" {
  description = "Id of the Glue workers' security group (self-referencing all TCP; HTTPS to the endpoints and S3), for the NETWORK connections."
  value       = aws_security_group.glue.id
}

output "network_s3_endpoint_id" {
  description = "Id (vpce-...) of the S3 gateway endpoint, for bucket policies that admit only this endpoint (aws:SourceVpce)."
  value       = aws_vpc_endpoint.s3.id
}

output "network_interface_endpoint_ids" {
  description = "Per interface service (glue, kms, lakeformation, logs, monitoring, ssm, sts and any added): the endpoint id (vpce-...)."
  value       = { for svc, e in aws_vpc_endpoint.interface : svc => e.id }
}

output "network_flow_log_group_name" {
  description = "Name of the CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
