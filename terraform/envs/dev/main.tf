# dev: the whole pipeline at a small size. Spot nodes, no cluster deletion protection, buckets
# that `destroy` may empty. Images come from the prod environment's repository (one registry,
# images promoted by tag): grant this cluster's node service account (output
# node_service_account) read access there through prod's extra_image_readers.

locals {
  env    = "dev"
  labels = { app = "taxi-stream", env = local.env }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "storage.googleapis.com",
  ])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "storage" {
  source = "../../modules/storage"

  project_id            = var.project_id
  location              = upper(var.region)
  raw_bucket_name       = "${var.project_id}-taxi-${local.env}-raw"
  processed_bucket_name = "${var.project_id}-taxi-${local.env}-processed"
  force_destroy         = true
  labels                = local.labels

  depends_on = [google_project_service.apis]
}

module "bigquery" {
  source = "../../modules/bigquery"

  project_id = var.project_id
  dataset_id = "taxi_${local.env}"
  location   = var.bigquery_location
  labels     = local.labels

  depends_on = [google_project_service.apis]
}

module "gke" {
  source = "../../modules/gke"

  project_id          = var.project_id
  region              = var.region
  cluster_name        = "taxi-${local.env}"
  machine_type        = "e2-standard-2"
  min_nodes_per_zone  = 0
  max_nodes_per_zone  = 2
  spot                = true
  deletion_protection = false
  labels              = local.labels

  depends_on = [google_project_service.apis]
}

module "iam" {
  source = "../../modules/iam"

  project_id       = var.project_id
  name_prefix      = "taxi-${local.env}"
  raw_bucket       = module.storage.raw_bucket
  processed_bucket = module.storage.processed_bucket
  dataset_id       = module.bigquery.dataset_id
  k8s_namespace    = var.k8s_namespace
}
