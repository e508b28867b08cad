# The admin list is exactly var.admins, and only an admin may apply it
# (run by tests/integration/test_terraform_validations.py).

mock_provider "aws" {
  # A mocked policy document would be a random string, which resources refuse as a policy.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  admins             = ["arn:aws:iam::111111111111:role/energylake-dev-deployer", "arn:aws:iam::111111111111:role/ops"]
  applying_principal = "arn:aws:iam::111111111111:role/energylake-dev-deployer"
}

run "admins_are_exactly_the_list" {
  command = plan

  assert {
    condition     = aws_lakeformation_data_lake_settings.this.admins == toset(var.admins)
    error_message = "the admin list is the configured list, nobody added"
  }
}

# An apply by a principal outside the list would leave it (or the CI role) unable to manage Lake Formation.
run "a_principal_outside_the_list_is_stopped" {
  command = plan
  variables {
    applying_principal = "arn:aws:iam::111111111111:user/someone"
  }
  expect_failures = [aws_lakeformation_data_lake_settings.this]
}

run "an_empty_admin_list_is_refused" {
  command = plan
  variables {
    admins = []
  }
  expect_failures = [var.admins]
}
