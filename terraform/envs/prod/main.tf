# prod: the pipeline and the image repository every environment pulls from.

locals {
  env    = "prod"
  labels = { app = "taxi-stream", env = local.env }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
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
  labels                = local.labels

  depends_on = [google_project_service.apis]
}

module "bigquery" {
  source = "../../modules/bigquery"

  project_id          = var.project_id
  dataset_id          = "taxi"
  location            = var.bigquery_location
  deletion_protection = true
  labels              = local.labels

  depends_on = [google_project_service.apis]
}

module "gke" {
  source = "../../modules/gke"

  project_id          = var.project_id
  region              = var.region
  cluster_name        = "taxi-${local.env}"
  machine_type        = "e2-standard-4"
  min_nodes_per_zone  = 1
  max_nodes_per_zone  = 4
  release_channel     = "STABLE"
  deletion_protection = true
  labels              = local.labels

  depends_on = [google_project_service.apis]
}

module "registry" {
  source = "../../modules/registry"

  project_id     = var.project_id
  location       = var.region
  reader_members = merge({ gke_nodes = "serviceAccount:${module.gke.node_service_account}" }, var.extra_image_readers)
  writer_members = { for key, member in { ci = var.ci_image_pusher } : key => member if member != "" }
  labels         = local.labels

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
