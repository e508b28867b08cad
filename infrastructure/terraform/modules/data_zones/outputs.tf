output "data_zones_bucket_names" {
  description = "Bucket name per zone and operational purpose (landing, raw, transform, analytics, artifacts, athena-results)."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "data_zones_zone_buckets" {
  description = "Bucket name per lake zone."
  value       = { for k in keys(var.zone_bucket_names) : k => aws_s3_bucket.this[k].id }
}

output "data_zones_zone_bucket_arns" {
  description = "Bucket ARN per lake zone."
  value       = { for k in keys(var.zone_bucket_names) : k => aws_s3_bucket.this[k].arn }
}

output "data_zones_artifacts_bucket" {
  description = "Name of the bucket holding Glue job scripts and the pipeline library."
  value       = aws_s3_bucket.this["artifacts"].id
}

output "data_zones_artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  value       = aws_s3_bucket.this["artifacts"].arn
}

output "data_zones_athena_results_bucket" {
  description = "Name of the bucket holding Athena query results."
  value       = aws_s3_bucket.this["athena-results"].id
}

output "data_zones_athena_results_bucket_arn" {
  description = "ARN of the Athena results bucket."
  value       = aws_s3_bucket.this["athena-results"].arn
}

output "data_zones_access_logs_bucket" {
  description = "Name of the S3 server access-logs bucket."
  value       = aws_s3_bucket.access_logs.id
}

output "data_zones_kms_key_arn" {
  description = "ARN of the lake's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "data_zones_kms_key_id" {
  description = "Key id of the lake's customer-managed KMS key."
  value       = aws_kms_key.this.key_id
}
