output "glue_catalog_databases" {
  description = "Glue database name per zone (raw, transform, analytics)."
  value       = { for zone, db in aws_glue_catalog_database.this : zone => db.name }
}

output "glue_catalog_database_arns" {
  description = "Glue database ARN per zone."
  value       = { for zone, db in aws_glue_catalog_database.this : zone => db.arn }
}

output "glue_catalog_tables" {
  description = "Every catalogued table, keyed <zone>.<table>: database, name, location, column names, the contract's partition columns and pii columns."
  value = {
    for key, t in local.tables : key => {
      zone         = t.zone
      database     = var.databases[t.zone]
      name         = t.name
      location     = "${var.zone_uris[t.zone]}/${t.name}"
      columns      = [for c in t.columns : c.name]
      partition_by = t.partition_by
      pii_columns  = t.pii_columns
    }
  }
  # The tables exist once this output is read.
  depends_on = [aws_glue_catalog_table.this]
}

output "glue_catalog_table_arns" {
  description = "Glue table ARN per <zone>.<table>."
  value       = { for k, t in aws_glue_catalog_table.this : k => t.arn }
}

output "glue_catalog_optimizer_role_arn" {
  description = "ARN of the role the table optimizers run as (Lake Formation grants it table access)."
  value       = aws_iam_role.optimizer.arn
}
