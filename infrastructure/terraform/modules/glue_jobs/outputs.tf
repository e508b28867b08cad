output "glue_jobs_jobs" {
  description = "Per job key: the Glue job name and the script key in the artifacts bucket."
  value       = { for job, j in aws_glue_job.this : job => { name = j.name, script_key = local.script_keys[job] } }
}

output "glue_jobs_default_arguments" {
  description = "Per job key: the default arguments the job starts with."
  value       = local.default_arguments
}

output "glue_jobs_library_key" {
  description = "Key of the pipeline library archive in the artifacts bucket."
  value       = var.library_key
}

output "glue_jobs_role_arns" {
  description = "Per job key: the job's IAM role ARN."
  value       = { for job, r in aws_iam_role.this : job => r.arn }
}

output "glue_jobs_writes" {
  description = "Per job key: the zones the job writes (for Lake Formation grants)."
  value       = { for job in keys(var.jobs) : job => local.access[job].write }
}

output "glue_jobs_reads" {
  description = "Per job key: the catalogued zones whose tables the job reads (for Lake Formation grants)."
  value       = local.catalog_reads
}

output "glue_jobs_workflow_name" {
  description = "Name of the Glue workflow that chains the jobs."
  value       = aws_glue_workflow.this.name
}

output "glue_jobs_security_configuration" {
  description = "Name of the Glue security configuration."
  value       = aws_glue_security_configuration.this.name
}

output "glue_jobs_pii_key_parameter" {
  description = "Name of the SSM parameter holding the PII token key."
  value       = aws_ssm_parameter.pii_key.name
}

output "glue_jobs_shared_tables" {
  description = "Per job key: the tables it writes outside its own zone (for Lake Formation grants)."
  value       = var.shared_tables
}

output "glue_jobs_python_modules_key" {
  description = "Key of the zip of wheels the jobs install (--additional-python-modules)."
  value       = var.python_modules_key
}

output "glue_jobs_connections" {
  description = "The Glue NETWORK connections every job runs through, in the order the jobs list them."
  value       = [for name in local.connection_names : aws_glue_connection.network[name].name]
}
