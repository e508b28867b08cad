# The lake: one composition of the modules, called by every environment (environments/<env>/main.tf)
# with that environment's settings. The contracts are read here once and passed to the modules as
# typed values; every name is computed once, in the locals below.

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  # ------------------------------------------------------------------------------------------
  # The contracts: read once here, passed to the modules as typed values.
  # ------------------------------------------------------------------------------------------
  contracts_dir = "${path.module}/../../../../src/contracts"
  sql_dir       = "${path.module}/../../../../src/sql"

  lake_yaml     = yamldecode(file("${local.contracts_dir}/lake.yaml"))
  marts_yaml    = yamldecode(file("${local.contracts_dir}/marts.yaml"))
  personas_yaml = yamldecode(file("${local.contracts_dir}/personas.yaml"))

  # Entity contracts: every YAML file in the folder but the shared conventions.
  entities = sort([
    for f in fileset(local.contracts_dir, "*.yaml") : trimsuffix(f, ".yaml")
    if !contains(["lake", "marts", "personas"], trimsuffix(f, ".yaml"))
  ])
  contract_yaml = { for e in local.entities : e => yamldecode(file("${local.contracts_dir}/${e}.yaml")) }

  contracts = {
    for e, c in local.contract_yaml : e => {
      description = try(c.description, "")
      columns = [for col in c.columns : {
        name        = col.name
        type        = col.type
        description = try(col.description, "")
        pii         = try(col.pii, false)
      }]
      transform_layout = try(c.transform.layout, "partitioned")
      derived = [for col in try(c.transform.derived, []) : {
        name        = col.name
        type        = col.type
        description = try(col.description, "")
      }]
    }
  }

  lake = {
    partition_key = { name = local.lake_yaml.partition_key.name, type = local.lake_yaml.partition_key.type }
    lineage       = [for c in local.lake_yaml.lineage : { name = c.name, type = c.type, description = try(c.description, "") }]
    extra_column = {
      name        = local.lake_yaml.extra_column.name
      type        = local.lake_yaml.extra_column.type
      description = try(local.lake_yaml.extra_column.description, "")
    }
    notation_column = {
      name        = local.lake_yaml.notation_column.name
      type        = local.lake_yaml.notation_column.type
      description = try(local.lake_yaml.notation_column.description, "")
    }
    quarantine_table   = local.lake_yaml.quarantine.table
    quarantine_columns = [for c in local.lake_yaml.quarantine.columns : { name = c.name, type = c.type, description = try(c.description, "") }]
    state_tables = [for t in local.lake_yaml.state_tables : {
      name         = t.name
      zone         = t.zone
      description  = try(t.description, "")
      partition_by = t.partition_by
      columns      = [for c in t.columns : { name = c.name, type = c.type, description = try(c.description, "") }]
    }]
  }
  maintenance = local.lake_yaml.maintenance

  marts = [for m in local.marts_yaml.marts : {
    name         = m.name
    description  = try(m.description, "")
    partition_by = try(m.partition_by, [])
    columns      = [for c in m.columns : { name = c.name, type = c.type, description = try(c.description, "") }]
  }]

  personas = {
    for p, v in local.personas_yaml.personas : p => {
      description     = try(v.description, p)
      zones           = v.zones
      classifications = v.classifications
      quarantine      = try(v.quarantine, false)
    }
  }

  # Tables whose columns the Python side generates (make the generated files with the project's
  # generator; Terraform reads them): the data quality results, written by every job.
  quality_results_doc = jsondecode(file("${local.contracts_dir}/generated/quality_results_table.json"))
  extra_tables = {
    (local.quality_results_doc.table) = {
      description    = "Data quality results: one partition per run (docs/data-quality.md)."
      columns        = [for c in local.quality_results_doc.columns : { name = c.name, type = c.type, description = try(c.description, "") }]
      partition_keys = [for c in local.quality_results_doc.partition_keys : { name = c.name, type = c.type, description = try(c.description, "") }]
    }
  }

  # Tables a job writes outside its own zone: the data quality results (every job) and the analytics
  # zone's state table (the build log), where raw_to_transform records what it built (src/etl/lake/state.py).
  build_state_tables = [for t in local.lake.state_tables : "${t.zone}.${t.name}" if t.zone == "analytics"]
  job_shared_tables = {
    landing_to_raw         = keys(local.extra_tables)
    raw_to_transform       = concat(keys(local.extra_tables), local.build_state_tables)
    transform_to_analytics = keys(local.extra_tables)
  }

  # Named queries: every src/sql/*.sql file, whatever their number (none is fine).
  queries = { for f in fileset(local.sql_dir, "*.sql") : trimsuffix(f, ".sql") => file("${local.sql_dir}/${f}") }

  # ------------------------------------------------------------------------------------------
  # Names: computed once.
  # ------------------------------------------------------------------------------------------
  name_prefix   = "${var.settings.org}-${var.settings.environment}"
  bucket_prefix = "${var.settings.org}-${var.settings.environment}-${var.settings.region}-${var.settings.account_id}"

  zones            = local.lake_yaml.zones
  catalogued_zones = [for z in local.zones : z if z != "landing"]

  zone_bucket_names        = { for z in local.zones : z => "${local.bucket_prefix}-${z}" }
  operational_bucket_names = { for p in ["artifacts", "athena-results"] : p => "${local.bucket_prefix}-${p}" }
  access_logs_bucket_name  = "${local.bucket_prefix}-access-logs"
  glue_databases           = { for z in local.catalogued_zones : z => "${var.settings.org}_${var.settings.environment}_${z}" }

  zone_uris = { for z, b in local.zone_bucket_names : z => "s3://${b}" }
  state_uri = "${local.zone_uris["raw"]}/_lake"

  persona_trusted = length(var.settings.persona_trusted_principals) > 0 ? var.settings.persona_trusted_principals : ["arn:aws:iam::${var.settings.account_id}:root"]

  # Who reaches the zone buckets' objects from outside the lake's VPC (docs/security.md): whoever applies
  # Terraform (destroying a dev bucket deletes its objects), the operators of tfvars, Lake Formation's
  # data-access role (Athena for the personas) and the table optimizers (both run in AWS's network).
  zone_exempt_principals = distinct(concat(
    var.settings.lake_formation_admins,
    var.settings.zone_operators,
    [module.lake_formation.lake_formation_data_access_role_arn, module.glue_catalog.glue_catalog_optimizer_role_arn],
  ))
  pii_key_parameter_name = "/${var.settings.org}/${var.settings.environment}/pii-token-key"
}

module "data_zones" {
  source = "../data_zones"

  environment              = var.settings.environment
  region                   = var.settings.region
  account_id               = var.settings.account_id
  zone_bucket_names        = local.zone_bucket_names
  operational_bucket_names = local.operational_bucket_names
  access_logs_bucket_name  = local.access_logs_bucket_name
  kms_alias                = "${local.name_prefix}-lake"
  kms_deletion_window_days = var.settings.kms_deletion_window_days

  landing_expiration_days            = var.settings.landing_expiration_days
  noncurrent_version_expiration_days = var.settings.noncurrent_version_expiration_days
  athena_results_expiration_days     = var.settings.athena_results_expiration_days
  access_log_expiration_days         = var.settings.access_log_expiration_days

  force_destroy       = var.settings.force_destroy
  deletion_protection = var.settings.deletion_protection

  network_access = {
    s3_endpoint_id        = module.network.network_s3_endpoint_id
    exempt_principal_arns = local.zone_exempt_principals
  }
}

# The jobs' network: private subnets without an internet route, reaching AWS through VPC endpoints.
module "network" {
  source = "../network"

  name_prefix             = local.name_prefix
  region                  = var.settings.region
  account_id              = var.settings.account_id
  kms_key_arn             = module.data_zones.data_zones_kms_key_arn
  principal_arns          = values(module.glue_jobs.glue_jobs_role_arns)
  bucket_arns             = concat(values(module.data_zones.data_zones_zone_bucket_arns), [module.data_zones.data_zones_artifacts_bucket_arn])
  ssm_parameter_names     = [local.pii_key_parameter_name]
  vpc_cidr                = var.settings.network.vpc_cidr
  availability_zones      = var.settings.network.availability_zones
  subnet_prefix_length    = var.settings.network.subnet_prefix_length
  existing                = var.settings.network.existing
  flow_log_retention_days = var.settings.network.flow_log_retention_days
}

# First: a database or table created before these settings keeps IAMAllowedPrincipals' access.
module "lake_settings" {
  source = "../lake_settings"

  admins             = var.settings.lake_formation_admins
  applying_principal = data.aws_iam_session_context.current.issuer_arn
}

module "glue_catalog" {
  source     = "../glue_catalog"
  depends_on = [module.lake_settings]

  name_prefix  = local.name_prefix
  region       = var.settings.region
  account_id   = var.settings.account_id
  kms_key_arn  = module.data_zones.data_zones_kms_key_arn
  databases    = local.glue_databases
  zone_uris    = { for z in local.catalogued_zones : z => "s3://${module.data_zones.data_zones_zone_buckets[z]}" }
  contracts    = local.contracts
  lake         = local.lake
  marts        = local.marts
  extra_tables = local.extra_tables
  dq_rulesets  = { for t, r in jsondecode(file("${local.contracts_dir}/generated/dqdl/rulesets.json")) : t => r.ruleset }
  maintenance = {
    enabled                    = var.settings.table_optimizers_enabled
    snapshot_retention_days    = local.maintenance.snapshot_retention_days
    min_snapshots_to_keep      = local.maintenance.min_snapshots_to_keep
    orphan_file_retention_days = local.maintenance.orphan_file_retention_days
  }
}

module "glue_jobs" {
  source = "../glue_jobs"

  name_prefix            = local.name_prefix
  environment            = var.settings.environment
  region                 = var.settings.region
  account_id             = var.settings.account_id
  jobs                   = var.settings.glue_job_capacity
  glue_version           = var.settings.glue_version
  artifacts_bucket       = module.data_zones.data_zones_artifacts_bucket
  zone_uris              = { for z in local.zones : z => "s3://${module.data_zones.data_zones_zone_buckets[z]}" }
  state_uri              = local.state_uri
  databases              = module.glue_catalog.glue_catalog_databases
  kms_key_arn            = module.data_zones.data_zones_kms_key_arn
  pii_key_parameter_name = local.pii_key_parameter_name
  schedule               = var.settings.glue_schedule
  schedule_enabled       = var.settings.glue_schedule_enabled
  shared_tables          = local.job_shared_tables
  network = {
    vpc_id             = module.network.network_vpc_id
    subnets            = module.network.network_glue_subnets
    security_group_ids = [module.network.network_glue_security_group_id]
  }
}

module "lake_formation" {
  source     = "../lake_formation"
  depends_on = [module.lake_settings]

  name_prefix                = local.name_prefix
  account_id                 = var.settings.account_id
  databases                  = module.glue_catalog.glue_catalog_databases
  zone_bucket_arns           = { for z in local.catalogued_zones : z => module.data_zones.data_zones_zone_bucket_arns[z] }
  kms_key_arn                = module.data_zones.data_zones_kms_key_arn
  tables                     = module.glue_catalog.glue_catalog_tables
  quarantine_table           = "raw.${local.lake.quarantine_table}"
  personas                   = local.personas
  persona_trusted_principals = local.persona_trusted
  writers = {
    for job, arn in module.glue_jobs.glue_jobs_role_arns : job => {
      role_arn   = arn
      zones      = module.glue_jobs.glue_jobs_writes[job]
      tables     = module.glue_jobs.glue_jobs_shared_tables[job]
      read_zones = module.glue_jobs.glue_jobs_reads[job]
    }
  }
  table_maintainer_role_arn = module.glue_catalog.glue_catalog_optimizer_role_arn
}

module "athena" {
  source = "../athena"

  name_prefix                    = local.name_prefix
  region                         = var.settings.region
  account_id                     = var.settings.account_id
  personas                       = module.lake_formation.lake_formation_persona_role_names
  results_bucket                 = module.data_zones.data_zones_athena_results_bucket
  kms_key_arn                    = module.data_zones.data_zones_kms_key_arn
  bytes_scanned_cutoff_per_query = var.settings.athena_bytes_scanned_cutoff_per_query
  force_destroy                  = var.settings.force_destroy
  databases                      = module.glue_catalog.glue_catalog_databases
  query_database                 = module.glue_catalog.glue_catalog_databases["analytics"]
  queries                        = local.queries
}

module "monitoring" {
  source = "../monitoring"

  name_prefix                = local.name_prefix
  environment                = var.settings.environment
  region                     = var.settings.region
  account_id                 = var.settings.account_id
  kms_key_arn                = module.data_zones.data_zones_kms_key_arn
  job_names                  = { for job, j in module.glue_jobs.glue_jobs_jobs : job => j.name }
  entities                   = local.entities
  alert_emails               = var.settings.alert_emails
  alert_subscriber_required  = var.settings.alert_subscriber_required
  quarantine_ratio_threshold = var.settings.quarantine_ratio_threshold
  freshness_threshold_hours  = var.settings.freshness_threshold_hours
  schedule_enabled           = var.settings.glue_schedule_enabled
}
