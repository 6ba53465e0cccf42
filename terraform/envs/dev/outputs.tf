output "raw_bucket" {
  description = "Raw bucket: TAXI__OBJECT_STORE__GCS__BUCKET of the ingestor."
  value       = module.storage.raw_bucket
}

output "processed_bucket" {
  description = "Processed bucket of the processor and replay."
  value       = module.storage.processed_bucket
}

output "bigquery_table" {
  description = "The trips table."
  value       = module.bigquery.table_id
}

output "cluster_name" {
  description = "GKE cluster: gcloud container clusters get-credentials <cluster_name> --region <region>."
  value       = module.gke.cluster_name
}

output "node_service_account" {
  description = "Service account of the cluster's nodes (needs read access to the image repository)."
  value       = module.gke.node_service_account
}

output "workload_service_accounts" {
  description = "Google service account of each workload: the iam.gke.io/gcp-service-account annotation of its Kubernetes service account."
  value       = module.iam.service_account_emails
}
