# The monitoring variable validations (run by tests/integration/test_terraform_validations.py).

mock_provider "aws" {
  # A mocked policy document would be a random string, which resources refuse as a policy.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix      = "energylake-prod"
  environment      = "prod"
  region           = "eu-west-1"
  account_id       = "222222222222"
  kms_key_arn      = "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-000000000000"
  job_names        = { landing_to_raw = "energylake-prod-landing-to-raw", raw_to_transform = "energylake-prod-raw-to-transform", transform_to_analytics = "energylake-prod-transform-to-analytics" }
  entities         = ["providers", "customers", "transactions"]
  schedule_enabled = true
  alert_emails     = ["oncall@example.com"]
}

run "valid_inputs_plan" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.freshness["providers"].period * aws_cloudwatch_metric_alarm.freshness["providers"].evaluation_periods <= 604800
    error_message = "PutMetricAlarm refuses Period x EvaluationPeriods over 7 days"
  }
}

# No subscriber: every alert would reach no one.
run "no_alert_subscriber_is_refused" {
  command = plan
  variables {
    alert_emails = []
  }
  expect_failures = [var.alert_emails]
}

run "no_alert_subscriber_is_allowed_where_said" {
  command = plan
  variables {
    alert_emails              = []
    alert_subscriber_required = false
  }
}

# Period x EvaluationPeriods may not exceed 604,800 s
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
run "a_freshness_window_over_seven_days_is_refused" {
  command = plan
  variables {
    freshness_evaluation_days = 8
  }
  expect_failures = [var.freshness_evaluation_days]
}
