# The dev environment: the lake composition with this environment's settings (terraform.tfvars).
module "lake" {
  source   = "../../modules/lake"
  settings = var.settings
}
