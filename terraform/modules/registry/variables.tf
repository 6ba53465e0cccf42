variable "project_id" {
  description = "GCP project of the repository."
  type        = string
}

variable "location" {
  description = "Region of the repository, e.g. us-east1 (the same as the cluster's, so pulls stay in-region)."
  type        = string
}

variable "repository_id" {
  description = "Repository id."
  type        = string
  default     = "taxi-stream"
}

variable "untagged_retention_days" {
  description = "Days an untagged image is kept before cleanup."
  type        = number
  default     = 14
}

variable "keep_recent_versions" {
  description = "Number of most recent image versions never cleaned up."
  type        = number
  default     = 20
}

variable "reader_members" {
  description = "IAM members that pull images, by a fixed key (values may be unknown until apply): { gke_nodes = \"serviceAccount:...\" }."
  type        = map(string)
  default     = {}
}

variable "writer_members" {
  description = "IAM members that push images, by a fixed key: { ci = \"serviceAccount:...\" } (CI, through Workload Identity Federation)."
  type        = map(string)
  default     = {}
}

variable "labels" {
  description = "Labels put on the repository."
  type        = map(string)
  default     = {}
}
