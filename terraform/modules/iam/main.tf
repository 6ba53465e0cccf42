# One Google service account per workload, each bound to exactly what it touches:
#   ingestor   objectAdmin on the raw bucket (writes the month file, reads it back to skip repeats)
#   processor  objectAdmin on the processed bucket, dataEditor on the dataset (Storage Write API)
#   replay     the same as the processor: it rewrites a month's objects and partition
# Bindings are on the bucket and the dataset, never on the project. The one project-level role,
# roles/bigquery.jobUser, lets an account run jobs (the replay's partition delete, marker queries)
# and grants no data access by itself.
# Each Kubernetes service account <namespace>/<name> may act as its Google account (Workload Identity).

locals {
  workloads = {
    ingestor = {
      bucket        = var.raw_bucket
      bigquery_data = false
      bigquery_jobs = false
    }
    processor = {
      bucket        = var.processed_bucket
      bigquery_data = true
      bigquery_jobs = true
    }
    replay = {
      bucket        = var.processed_bucket
      bigquery_data = true
      bigquery_jobs = true
    }
  }
}

resource "google_service_account" "workload" {
  for_each = local.workloads

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "taxi-stream ${each.key}"
  description  = "Runs the taxi-stream ${each.key} on GKE (Workload Identity ${var.k8s_namespace}/${var.k8s_service_accounts[each.key]})."
}

resource "google_storage_bucket_iam_member" "object_admin" {
  for_each = local.workloads

  bucket = each.value.bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.workload[each.key].member
}

resource "google_bigquery_dataset_iam_member" "data_editor" {
  for_each = { for name, workload in local.workloads : name => workload if workload.bigquery_data }

  project    = var.project_id
  dataset_id = var.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.workload[each.key].member
}

resource "google_project_iam_member" "bigquery_job_user" {
  for_each = { for name, workload in local.workloads : name => workload if workload.bigquery_jobs }

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.workload[each.key].member
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each = local.workloads

  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.k8s_namespace}/${var.k8s_service_accounts[each.key]}]"
}
