output "lake_formation_persona_role_arns" {
  description = "IAM role ARN per persona."
  value       = { for p, r in aws_iam_role.persona : p => r.arn }
}

output "lake_formation_persona_role_names" {
  description = "IAM role name per persona."
  value       = { for p, r in aws_iam_role.persona : p => r.name }
}

output "lake_formation_lf_tags" {
  description = "LF-tag keys and their values."
  value       = { for k, t in aws_lakeformation_lf_tag.this : k => sort(tolist(t.values)) }
}

output "lake_formation_grants" {
  description = "The persona grant set: (persona, zone, classification) triples granted SELECT by LF-tag policy, and the quarantine readers."
  value = {
    tag_policy         = local.grant_triples
    quarantine_readers = sort(keys(local.quarantine_readers))
  }
}

output "lake_formation_restricted_columns" {
  description = "Per <zone>.<table>: the columns tagged classification=restricted (\"*\" for a whole restricted table)."
  value = merge(
    { for k, t in local.pii_tables : k => t.pii_columns },
    { for k, t in local.restricted_tables : k => ["*"] },
  )
}

output "lake_formation_data_cells_filters" {
  description = "Per <zone>.<table>: the data cells filter name that hides its pii columns."
  value       = { for k, f in aws_lakeformation_data_cells_filter.this : k => f.table_data[0].name }
}

output "lake_formation_data_access_role_arn" {
  description = "ARN of the role Lake Formation reads and writes the registered zone locations with (for Athena and the other integrated services)."
  value       = aws_iam_role.data_access.arn
}
