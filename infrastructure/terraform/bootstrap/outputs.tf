# What the environments' backend configuration needs (README.md, "An empty account").

output "state_bucket" {
  description = "Name of the state bucket (backend.hcl bucket)."
  value       = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  description = "ARN of the state bucket, for the IAM policies of whoever runs Terraform."
  value       = aws_s3_bucket.state.arn
}

output "region" {
  description = "Region of the state bucket (backend.hcl region)."
  value       = var.region
}

output "kms_key_arn" {
  description = "ARN of the KMS key the state is encrypted with (backend.hcl kms_key_id)."
  value       = aws_kms_key.state.arn
}

output "kms_key_alias" {
  description = "Alias of the state key."
  value       = aws_kms_alias.state.name
}

output "backend_hcl" {
  description = "Per environment in var.environments: the text of environments/<env>/backend.hcl (bucket, key <env>/terraform.tfstate, region, kms_key_id)."
  value       = local.backend_hcl
}

# terraform output -raw takes only a string, not a map element: one output per environment of
# this repository. Absent (null) when the environment's state lives in another account.
output "backend_hcl_dev" {
  description = "The text of environments/dev/backend.hcl (for terraform output -raw); absent unless dev is in var.environments."
  value       = lookup(local.backend_hcl, "dev", null)
}

output "backend_hcl_prod" {
  description = "The text of environments/prod/backend.hcl (for terraform output -raw); absent unless prod is in var.environments."
  value       = lookup(local.backend_hcl, "prod", null)
}
