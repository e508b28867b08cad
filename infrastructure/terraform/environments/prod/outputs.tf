# One output, the composition's: read by src/scripts/deploy_glue_jobs.py (terraform output -json) and by
# operators (terraform output -json lake). Its names and shapes are a contract: modules/lake/outputs.tf.
output "lake" {
  description = "What the deploy script, the smoke check and operators read: modules/lake/outputs.tf."
  value       = module.lake
}
