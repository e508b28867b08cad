# Monitoring: Glue job failures (EventBridge -> KMS-encrypted SNS topic), CloudWatch alarms on job
# failures, quarantine ratio, freshness, rejected files and stopped promotions, and a dashboard. The custom metric names are those of
# src/etl/jobs/metric_names.py (a test cross-checks them).

locals {
  # The lake's custom metrics: namespace, dimensions and names as src/etl/jobs/metric_names.py defines them.
  namespace = var.metrics_namespace
  dimension = {
    environment = "Environment"
    job         = "Job"
    entity      = "Entity"
  }
  metric = {
    rows_read               = "RowsRead"
    rows_valid              = "RowsValid"
    rows_quarantined        = "RowsQuarantined"
    output_rows             = "OutputRows"
    duration_seconds        = "DurationSeconds"
    rule_failures           = "RuleFailures"
    latest_ingest_age_hours = "LatestIngestAgeHours"
    files_rejected          = "FilesRejected"
    promotions_stopped      = "PromotionsStopped"
  }

  failed_states = ["FAILED", "TIMEOUT", "STOPPED"]

  entity_dimensions = {
    for e in var.entities : e => {
      (local.dimension.environment) = var.environment
      (local.dimension.job)         = var.ingest_job
      (local.dimension.entity)      = e
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Alert topic
# ---------------------------------------------------------------------------------------------

resource "aws_sns_topic" "this" {
  name              = "${var.name_prefix}-alerts"
  display_name      = "Energy lake ${var.environment} alerts"
  kms_master_key_id = var.kms_key_arn
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "EventBridgeAndAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---------------------------------------------------------------------------------------------
# Glue job state changes -> topic
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "job_failed" {
  name        = "${var.name_prefix}-glue-job-failed"
  description = "A lake Glue job ended ${join(", ", local.failed_states)}."
  state       = "ENABLED"
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = sort(values(var.job_names))
      state   = local.failed_states
    }
  })
}

resource "aws_cloudwatch_event_target" "job_failed" {
  rule      = aws_cloudwatch_event_rule.job_failed.name
  target_id = "alerts"
  arn       = aws_sns_topic.this.arn
}

# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "job_failures" {
  alarm_name          = "${var.name_prefix}-glue-job-failures"
  alarm_description   = "A lake Glue job failed, timed out or was stopped (EventBridge rule ${aws_cloudwatch_event_rule.job_failed.name} matched)."
  namespace           = "AWS/Events"
  metric_name         = "TriggeredRules"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.job_failed.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "quarantine_ratio" {
  for_each = local.entity_dimensions

  alarm_name          = "${var.name_prefix}-quarantine-ratio-${each.key}"
  alarm_description   = "More than ${var.quarantine_ratio_threshold * 100}% of the ${each.key} rows read in an hour were quarantined."
  evaluation_periods  = 1
  threshold           = var.quarantine_ratio_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]

  metric_query {
    id          = "ratio"
    expression  = "IF(read > 0, quarantined / read, 0)"
    label       = "Quarantined / read"
    return_data = true
  }

  metric_query {
    id = "quarantined"
    metric {
      namespace   = local.namespace
      metric_name = local.metric.rows_quarantined
      dimensions  = each.value
      stat        = "Sum"
      period      = 3600
    }
  }

  metric_query {
    id = "read"
    metric {
      namespace   = local.namespace
      metric_name = local.metric.rows_read
      dimensions  = each.value
      stat        = "Sum"
      period      = 3600
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "freshness" {
  for_each = local.entity_dimensions

  alarm_name        = "${var.name_prefix}-freshness-${each.key}"
  alarm_description = "The newest ${each.key} ingest date in the lake is older than ${var.freshness_threshold_hours} hours (or nothing was reported)."
  namespace         = local.namespace
  metric_name       = local.metric.latest_ingest_age_hours
  dimensions        = each.value
  statistic         = "Maximum"
  # The age is published once per pipeline run, so once a day: an hourly period would be missing
  # (breaching) 23 hours of every day. A daily period, all of the last freshness_evaluation_days
  # stale: today's period before the run has no data, yesterday's run has, so it holds until a run
  # is missed. Period x evaluation periods <= 7 days (API_PutMetricAlarm, see variables.tf).
  period              = 86400
  evaluation_periods  = var.freshness_evaluation_days
  datapoints_to_alarm = var.freshness_evaluation_days
  threshold           = var.freshness_threshold_hours
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = var.schedule_enabled ? "breaching" : "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}

# A rejected file or a stopped promotion does not fail the job (the rest of the day goes on, as
# locally: docs/operations.md), so these alarms say it. Published once per run: daily periods, one
# period is enough, and a day without a run is not a rejection.
resource "aws_cloudwatch_metric_alarm" "daily_count" {
  for_each = merge(
    { for e, dims in local.entity_dimensions : "files-rejected-${e}" => {
      metric      = local.metric.files_rejected
      dimensions  = dims
      description = "A ${e} landing file could not be read (layout, encoding, header, empty): the run manifest's rejected_files says which and why; the other files went on."
    } },
    { for job, name in var.job_names : "promotions-stopped-${replace(job, "_", "-")}" => {
      metric      = local.metric.promotions_stopped
      dimensions  = { (local.dimension.environment) = var.environment, (local.dimension.job) = job }
      description = "A failing data quality rule kept a table of ${name} at its last good version: see analytics.quality_results and the run manifest's quality.stopped."
    } },
  )

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}

# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------

locals {
  job_metric_rows = {
    for m in ["output_rows", "duration_seconds", "rule_failures"] : m => [
      for job in sort(keys(var.job_names)) : [
        local.namespace, local.metric[m],
        local.dimension.environment, var.environment,
        local.dimension.job, job,
      ]
    ]
  }
  entity_metric_rows = {
    for m in ["rows_read", "rows_valid", "rows_quarantined", "latest_ingest_age_hours"] : m => [
      for e in var.entities : [
        local.namespace, local.metric[m],
        local.dimension.environment, var.environment,
        local.dimension.job, var.ingest_job,
        local.dimension.entity, e,
      ]
    ]
  }

  widgets = [
    { title = "Rows read (landing -> raw)", metrics = local.entity_metric_rows.rows_read, stat = "Sum" },
    { title = "Rows valid", metrics = local.entity_metric_rows.rows_valid, stat = "Sum" },
    { title = "Rows quarantined", metrics = local.entity_metric_rows.rows_quarantined, stat = "Sum" },
    { title = "Latest ingest age (hours)", metrics = local.entity_metric_rows.latest_ingest_age_hours, stat = "Maximum" },
    { title = "Output rows per job", metrics = local.job_metric_rows.output_rows, stat = "Sum" },
    { title = "Job duration (seconds)", metrics = local.job_metric_rows.duration_seconds, stat = "Maximum" },
    { title = "Data quality rule failures", metrics = local.job_metric_rows.rule_failures, stat = "Sum" },
    {
      title   = "Glue job failures"
      metrics = [["AWS/Events", "TriggeredRules", "RuleName", aws_cloudwatch_event_rule.job_failed.name]]
      stat    = "Sum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-lake"
  dashboard_body = jsonencode({
    widgets = concat(
      [
        for i, w in local.widgets : {
          type   = "metric"
          x      = (i % 2) * 12
          y      = floor(i / 2) * 6
          width  = 12
          height = 6
          properties = {
            title   = w.title
            metrics = w.metrics
            stat    = w.stat
            period  = 3600
            region  = var.region
            view    = "timeSeries"
          }
        }
      ],
      [
        {
          type   = "alarm"
          x      = 0
          y      = ceil(length(local.widgets) / 2) * 6
          width  = 24
          height = 4
          properties = {
            title = "Lake alarms"
            alarms = concat(
              [aws_cloudwatch_metric_alarm.job_failures.arn],
              [for a in aws_cloudwatch_metric_alarm.quarantine_ratio : a.arn],
              [for a in aws_cloudwatch_metric_alarm.freshness : a.arn],
            )
          }
        }
      ],
    )
  })
}
