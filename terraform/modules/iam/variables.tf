variable "project_id" {
  description = "GCP project of the service accounts, the dataset and the GKE workload pool."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the service account ids (<prefix>-ingestor, ...); with the suffix at most 30 characters."
  type        = string
  default     = "taxi"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix should be 1-20 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "raw_bucket" {
  description = "Name of the raw bucket (the ingestor writes there)."
  type        = string
}

variable "processed_bucket" {
  description = "Name of the processed bucket (the processor and replay write there)."
  type        = string
}

variable "dataset_id" {
  description = "BigQuery dataset the processor and replay write to."
  type        = string
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of the workloads."
  type        = string
  default     = "taxi"
}

variable "k8s_service_accounts" {
  description = "Kubernetes service account name of each workload, in k8s_namespace."
  type = object({
    ingestor  = string
    processor = string
    replay    = string
  })
  default = {
    ingestor  = "taxi-ingestor"
    processor = "taxi-processor"
    replay    = "taxi-replay"
  }
}
