variable "project_id" {
  description = "GCP project of this environment."
  type        = string
}

variable "region" {
  description = "Region of the cluster, the buckets and the image repository."
  type        = string
  default     = "us-east1"
}

variable "bigquery_location" {
  description = "Location of the BigQuery dataset."
  type        = string
  default     = "US"
}

variable "k8s_namespace" {
  description = "Kubernetes namespace the taxi workloads run in (deploy/k8s)."
  type        = string
  default     = "taxi"
}
