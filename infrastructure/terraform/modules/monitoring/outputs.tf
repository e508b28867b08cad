output "monitoring_topic_arn" {
  description = "ARN of the KMS-encrypted alert topic."
  value       = aws_sns_topic.this.arn
}

output "monitoring_alarm_names" {
  description = "Names of the lake's CloudWatch alarms."
  value = concat(
    [aws_cloudwatch_metric_alarm.job_failures.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.quarantine_ratio : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.freshness : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.daily_count : a.alarm_name],
  )
}

output "monitoring_event_rule" {
  description = "Name of the EventBridge rule matching failed, timed-out or stopped Glue jobs."
  value       = aws_cloudwatch_event_rule.job_failed.name
}

output "monitoring_dashboard" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "monitoring_metric_names" {
  description = "Custom metric names the alarms and dashboard use (src/etl/jobs/metric_names.py)."
  value       = local.metric
}
