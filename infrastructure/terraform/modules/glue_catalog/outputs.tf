output "glue_catalog_databases" {
  description = "Glue database name per zone (raw, transform, analytics)."
  value       = { for zone, db in aws_glue_catalog_database.this : zone => db.name }
}

output "glue_catalog_database_arns" {
  description = "Glue database ARN per zone."
  value       = { for zone, db in aws_glue_catalog_database.this : zone => db.arn }
}

output "glue_catalog_tables" {
  description = "Every catalogued table, keyed <zone>.<table>: database, name, location, column and partition-key names, and the contract's pii columns."
  value = {
    for key, t in local.tables : key => {
      zone           = t.zone
      database       = var.databases[t.zone]
      name           = t.name
      location       = "${var.zone_uris[t.zone]}/${t.name}"
      columns        = [for c in t.columns : c.name]
      partition_keys = [for p in t.partition_keys : p.name]
      pii_columns    = t.pii_columns
    }
  }
  # The tables exist once this output is read.
  depends_on = [aws_glue_catalog_table.this, aws_glue_catalog_table.snapshot]
}

output "glue_catalog_table_arns" {
  description = "Glue table ARN per <zone>.<table>."
  value       = merge({ for k, t in aws_glue_catalog_table.this : k => t.arn }, { for k, t in aws_glue_catalog_table.snapshot : k => t.arn })
}
