variable "settings" {
  description = "This environment's settings (terraform.tfvars); modules/lake types, validates and documents each attribute (its README.md, Settings)."
  type        = any
}
