output "lake_settings_admins" {
  description = "The Lake Formation administrators, as set."
  value       = aws_lakeformation_data_lake_settings.this.admins
}
