# State in S3 with S3-native locking (a lock file beside the state; no DynamoDB table).
# Partial configuration: bucket, key and region are given at init time, so that
#   terraform init -backend=false          works offline (validate, tests), and
#   terraform init -backend-config=backend.hcl
# points a real deployment at its state bucket (docs/infrastructure.md).
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
