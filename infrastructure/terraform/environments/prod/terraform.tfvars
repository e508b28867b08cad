# prod: sized for the daily volume, long retention, protected against deletion.
# Every attribute is typed, validated and documented by modules/lake (README.md, Settings).
settings = {
  org         = "energylake"
  environment = "prod"
  region      = "eu-west-1"
  # The prod account; the provider refuses any other (allowed_account_ids). Replace with yours.
  account_id = "222222222222"

  # Every principal that runs terraform apply here (CI role, operators): Lake Formation's admin list is
  # exactly this (a plan by anyone else stops). Replace with yours.
  lake_formation_admins = ["arn:aws:iam::222222222222:role/energylake-prod-deployer"]

  glue_job_capacity = {
    landing_to_raw         = { worker_type = "G.1X", number_of_workers = 10, timeout_minutes = 120, max_retries = 1 }
    raw_to_transform       = { worker_type = "G.1X", number_of_workers = 10, timeout_minutes = 120, max_retries = 1 }
    transform_to_analytics = { worker_type = "G.1X", number_of_workers = 5, timeout_minutes = 60, max_retries = 1 }
  }
  glue_version          = "5.1"
  glue_schedule         = "cron(0 5 * * ? *)"
  glue_schedule_enabled = true

  landing_expiration_days            = 400
  noncurrent_version_expiration_days = 30
  athena_results_expiration_days     = 30
  access_log_expiration_days         = 365
  kms_deletion_window_days           = 30

  force_destroy       = false
  deletion_protection = true

  athena_bytes_scanned_cutoff_per_query = 107374182400 # 100 GiB

  alert_emails               = ["data-platform-alerts@example.com"] # Replace with yours: a plan without one is refused
  quarantine_ratio_threshold = 0.05
  freshness_threshold_hours  = 36

  # The jobs' VPC: private subnets only, no internet or NAT gateway (docs/security.md). To use an existing
  # VPC instead, set existing = { vpc_id, subnet_ids, route_table_ids }.
  network = {
    vpc_cidr             = "10.40.0.0/16"
    availability_zones   = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    subnet_prefix_length = 20
  }
  # Who reaches the zone buckets' objects from outside that VPC besides the lake_formation_admins: the role
  # that delivers the feeds to landing, operators. Replace with yours.
  zone_operators = ["arn:aws:iam::222222222222:role/energylake-prod-feed-delivery"]
}
