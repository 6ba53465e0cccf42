output "service_account_emails" {
  description = "Google service account email of each workload, for the iam.gke.io/gcp-service-account annotation of its Kubernetes service account."
  value       = { for name, account in google_service_account.workload : name => account.email }
}
