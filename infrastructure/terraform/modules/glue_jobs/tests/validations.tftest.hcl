# The glue_jobs variable validations refuse what AWS or the job code would refuse later
# (run by tests/integration/test_terraform_validations.py: `terraform test`, mocked provider, no AWS).

mock_provider "aws" {
  # A mocked policy document would be a random string, which resources refuse as a policy.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix = "energylake-dev"
  environment = "dev"
  region      = "eu-west-1"
  account_id  = "111111111111"
  jobs = {
    landing_to_raw         = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
    raw_to_transform       = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
    transform_to_analytics = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
  }
  artifacts_bucket = "energylake-dev-artifacts"
  zone_uris = {
    landing   = "s3://energylake-dev-landing"
    raw       = "s3://energylake-dev-raw"
    transform = "s3://energylake-dev-transform"
    analytics = "s3://energylake-dev-analytics"
  }
  state_uri              = "s3://energylake-dev-raw/_lake"
  databases              = { raw = "energylake_dev_raw", transform = "energylake_dev_transform", analytics = "energylake_dev_analytics" }
  kms_key_arn            = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000"
  pii_key_parameter_name = "/energylake/dev/pii-token-key"
  network = {
    vpc_id = "vpc-0a1b2c3d4e5f60001"
    subnets = [
      { subnet_id = "subnet-0a1b2c3d4e5f60001", availability_zone = "eu-west-1a" },
      { subnet_id = "subnet-0a1b2c3d4e5f60002", availability_zone = "eu-west-1b" },
    ]
    security_group_ids = ["sg-0a1b2c3d4e5f60001"]
  }
  shared_tables = {
    landing_to_raw         = ["analytics.quality_results"]
    raw_to_transform       = ["analytics.quality_results"]
    transform_to_analytics = []
  }
}

run "valid_inputs_plan" {
  command = plan

  assert {
    condition     = aws_glue_job.this["landing_to_raw"].glue_version == "5.1"
    error_message = "the jobs run Glue 5.1"
  }
  assert {
    condition     = aws_glue_job.this["landing_to_raw"].default_arguments["--python-modules-installer-option"] == "--no-index"
    error_message = "the wheels install without an index"
  }
  assert {
    condition     = aws_glue_job.this["raw_to_transform"].connections == tolist(["energylake-dev-eu-west-1a", "energylake-dev-eu-west-1b"])
    error_message = "every job runs through the NETWORK connections, in the subnets' order"
  }
  assert {
    condition     = aws_glue_connection.network["energylake-dev-eu-west-1b"].physical_connection_requirements[0].subnet_id == "subnet-0a1b2c3d4e5f60002"
    error_message = "each connection sits in its own subnet"
  }
}

# Glue 5.0's boto3 1.34 has no S3 conditional writes, which the lake lock needs.
run "glue_5_0_is_refused" {
  command = plan
  variables {
    glue_version = "5.0"
  }
  expect_failures = [var.glue_version]
}

# G.025X is for streaming jobs only (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html).
run "a_streaming_worker_type_is_refused" {
  command = plan
  variables {
    jobs = {
      landing_to_raw         = { worker_type = "G.025X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
      raw_to_transform       = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
      transform_to_analytics = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
    }
  }
  expect_failures = [var.jobs]
}

# Glue recognises a zip of wheels by its .gluewheels.zip name
# (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html).
run "a_plain_zip_of_wheels_name_is_refused" {
  command = plan
  variables {
    python_modules_key = "glue/lib/python-modules.zip"
  }
  expect_failures = [var.python_modules_key]
}

# A job needs a subnet to place its workers in.
run "a_network_without_subnets_is_refused" {
  command = plan
  variables {
    network = { vpc_id = "vpc-0a1b2c3d4e5f60001", subnets = [], security_group_ids = ["sg-0a1b2c3d4e5f60001"] }
  }
  expect_failures = [var.network]
}
