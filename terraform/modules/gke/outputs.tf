output "cluster_name" {
  description = "Name of the cluster (gcloud container clusters get-credentials <name> --region <region>)."
  value       = google_container_cluster.this.name
}

output "endpoint" {
  description = "Control plane endpoint."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "workload_pool" {
  description = "Workload Identity pool of the cluster."
  value       = "${var.project_id}.svc.id.goog"
}

output "node_service_account" {
  description = "Service account email of the nodes (needs roles/artifactregistry.reader on the image repository)."
  value       = google_service_account.nodes.email
}
