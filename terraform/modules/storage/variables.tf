variable "project_id" {
  description = "GCP project that owns the buckets."
  type        = string
}

variable "location" {
  description = "Bucket location (region or multi-region), e.g. US-EAST1."
  type        = string
}

variable "raw_bucket_name" {
  description = "Globally unique name of the bucket for the raw month files."
  type        = string
}

variable "processed_bucket_name" {
  description = "Globally unique name of the bucket for the processed Parquet."
  type        = string
}

variable "raw_nearline_after_days" {
  description = "Age in days after which raw objects move to NEARLINE."
  type        = number
  default     = 30
}

variable "raw_delete_after_days" {
  description = "Age in days after which raw objects are deleted."
  type        = number
  default     = 365

  validation {
    condition     = var.raw_delete_after_days > var.raw_nearline_after_days
    error_message = "raw_delete_after_days should be greater than raw_nearline_after_days."
  }
}

variable "processed_noncurrent_retention_days" {
  description = "Days a replaced (noncurrent) processed object version is kept before deletion."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Let `destroy` delete non-empty buckets (dev only)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels put on both buckets."
  type        = map(string)
  default     = {}
}
