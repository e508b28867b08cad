terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }
}

provider "aws" {
  region              = var.settings.region
  allowed_account_ids = [var.settings.account_id]

  default_tags {
    tags = merge(
      {
        Project     = "energy-trading-data-lake"
        Environment = var.settings.environment
        ManagedBy   = "terraform"
      },
      try(var.settings.tags, {}),
    )
  }
}
