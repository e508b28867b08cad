# dev: small, cheap, easy to tear down.
# Every attribute is typed, validated and documented by modules/lake (README.md, Settings).
settings = {
  org         = "energylake"
  environment = "dev"
  region      = "eu-west-1"
  # The dev account; the provider refuses any other (allowed_account_ids). Replace with yours.
  account_id = "111111111111"

  # Every principal that runs terraform apply here (CI role, operators): Lake Formation's admin list is
  # exactly this (a plan by anyone else stops). Replace with yours.
  lake_formation_admins = ["arn:aws:iam::111111111111:role/energylake-dev-deployer"]

  glue_job_capacity = {
    landing_to_raw         = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
    raw_to_transform       = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
    transform_to_analytics = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
  }
  glue_version          = "5.1"
  glue_schedule         = "cron(0 6 * * ? *)"
  glue_schedule_enabled = false

  landing_expiration_days            = 30
  noncurrent_version_expiration_days = 7
  athena_results_expiration_days     = 7
  access_log_expiration_days         = 30
  kms_deletion_window_days           = 7

  force_destroy       = true
  deletion_protection = false

  athena_bytes_scanned_cutoff_per_query = 1073741824 # 1 GiB

  alert_emails               = []
  alert_subscriber_required  = false # dev alerts may go unheard; prod refuses a plan without a subscriber
  quarantine_ratio_threshold = 0.10
  freshness_threshold_hours  = 48

  # The jobs' VPC: private subnets only, no internet or NAT gateway (docs/security.md). To use an existing
  # VPC instead, set existing = { vpc_id, subnet_ids, route_table_ids }.
  network = {
    vpc_cidr             = "10.40.0.0/16"
    availability_zones   = ["eu-west-1a", "eu-west-1b"]
    subnet_prefix_length = 20
  }
  # Who reaches the zone buckets' objects from outside that VPC besides the lake_formation_admins: the role
  # that delivers the feeds to landing, operators. Replace with yours.
  zone_operators = ["arn:aws:iam::111111111111:role/energylake-dev-feed-delivery"]
}
