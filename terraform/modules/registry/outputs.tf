output "repository_url" {
  description = "Docker repository URL: push and pull <repository_url>/taxi:<tag>."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}
