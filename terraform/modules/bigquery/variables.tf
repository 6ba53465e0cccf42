variable "project_id" {
  description = "GCP project that owns the dataset."
  type        = string
}

variable "dataset_id" {
  description = "BigQuery dataset id (letters, digits and underscores)."
  type        = string
  default     = "taxi"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.dataset_id))
    error_message = "dataset_id may contain only letters, digits and underscores."
  }
}

variable "location" {
  description = "Dataset location, e.g. US or us-east1."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to destroy or replace the trips table."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on the dataset and the table."
  type        = map(string)
  default     = {}
}
