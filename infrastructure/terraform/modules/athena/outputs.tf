output "athena_workgroups" {
  description = "Workgroup name per persona."
  value       = { for p, w in aws_athena_workgroup.this : p => w.name }
}

output "athena_named_queries" {
  description = "Named query id per <persona>/<query name>."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}
