# No backend block: this root keeps local state (README.md says why and how to move it).
provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = merge(
      {
        Project   = "energy-trading-data-lake"
        Component = "terraform-state"
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}
