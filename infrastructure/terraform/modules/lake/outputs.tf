# Consumed by src/scripts/deploy_glue_jobs.py (terraform output -json) and by operators.
# Names and shapes are a contract: change them together with the deploy script.

output "environment" {
  description = "Deployment name."
  value       = var.settings.environment
}

output "region" {
  description = "AWS region of the lake."
  value       = var.settings.region
}

output "artifacts_bucket" {
  description = "Bucket the deploy script uploads job scripts and the library archive to."
  value       = module.data_zones.data_zones_artifacts_bucket
}

output "glue_jobs" {
  description = "Per job key: {name, script_key}; the script goes to s3://<artifacts_bucket>/<script_key>."
  value       = module.glue_jobs.glue_jobs_jobs
}

output "library_key" {
  description = "Key of the pipeline library archive (--extra-py-files) in the artifacts bucket."
  value       = module.glue_jobs.glue_jobs_library_key
}

output "python_modules_key" {
  description = "Key of the zip of wheels (--additional-python-modules) in the artifacts bucket."
  value       = module.glue_jobs.glue_jobs_python_modules_key
}

output "workflow_name" {
  description = "Glue workflow that runs the three jobs in order."
  value       = module.glue_jobs.glue_jobs_workflow_name
}

output "zone_buckets" {
  description = "Bucket name per zone (landing, raw, transform, analytics)."
  value       = module.data_zones.data_zones_zone_buckets
}

output "glue_databases" {
  description = "Glue database name per catalogued zone (raw, transform, analytics)."
  value       = module.glue_catalog.glue_catalog_databases
}

output "state_uri" {
  description = "The lake's own catalog (HEAD, table versions, run manifests, lock)."
  value       = local.state_uri
}

output "athena_workgroups" {
  description = "Athena workgroup per persona."
  value       = module.athena.athena_workgroups
}

output "kms_key_arn" {
  description = "The lake's customer-managed KMS key."
  value       = module.data_zones.data_zones_kms_key_arn
}

output "pii_key_parameter" {
  description = "SSM SecureString parameter to put the PII token key in (see docs/infrastructure.md)."
  value       = module.glue_jobs.glue_jobs_pii_key_parameter
}

output "persona_roles" {
  description = "IAM role ARN per persona."
  value       = module.lake_formation.lake_formation_persona_role_arns
}

output "alert_topic_arn" {
  description = "SNS topic that receives job-failure events and alarms."
  value       = module.monitoring.monitoring_topic_arn
}

output "lake_formation_grants" {
  description = "The persona grant set derived from personas.yaml (compared with the Python derivation)."
  value       = module.lake_formation.lake_formation_grants
}

output "network" {
  description = "The lake's network: VPC, the S3 gateway endpoint the zone buckets require, the interface endpoints by service, the jobs' Glue connections, and who may reach the zone objects from outside the VPC."
  value = {
    vpc_id                 = module.network.network_vpc_id
    s3_endpoint_id         = module.network.network_s3_endpoint_id
    interface_endpoint_ids = module.network.network_interface_endpoint_ids
    glue_connections       = module.glue_jobs.glue_jobs_connections
    flow_log_group         = module.network.network_flow_log_group_name
    zone_exempt_principals = local.zone_exempt_principals
  }
}
