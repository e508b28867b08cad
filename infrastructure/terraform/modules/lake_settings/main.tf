# The account's Lake Formation settings: who administers Lake Formation, and that IAMAllowedPrincipals
# gets nothing on the databases and tables created from now on. Its own module because every Glue
# database and table must be created after it (the environments order glue_catalog and lake_formation
# after this module): a database created before these settings keeps IAMAllowedPrincipals' full access,
# so IAM alone decides who reads it, with no plan diff
# (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html).

resource "aws_lakeformation_data_lake_settings" "this" {
  # PutDataLakeSettings replaces the whole admin list
  # (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html): it is
  # exactly var.admins, never "whoever applied last", so an apply by a person cannot drop the CI role.
  admins = var.admins
  # No create_database/table_default_permissions: IAMAllowedPrincipals gets nothing on new
  # databases and tables, so Lake Formation grants alone decide who reads what.

  lifecycle {
    precondition {
      condition     = contains(var.admins, var.applying_principal)
      error_message = "The principal running Terraform (${var.applying_principal}) is not in lake_formation_admins: this apply would leave it unable to manage Lake Formation. Add it, and every role that applies this environment (CI included), to lake_formation_admins."
    }
  }
}
