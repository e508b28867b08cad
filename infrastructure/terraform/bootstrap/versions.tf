# use_lockfile (S3-native state locking) in the environments' backend needs Terraform >= 1.10.
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }
}
