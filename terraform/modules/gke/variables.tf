variable "project_id" {
  description = "GCP project of the cluster (its Workload Identity pool is <project_id>.svc.id.goog)."
  type        = string
}

variable "region" {
  description = "Region of the regional cluster, e.g. us-east1."
  type        = string
}

variable "cluster_name" {
  description = "Name of the cluster; also prefixes the node service account (<name>-nodes, at most 30 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,23}$", var.cluster_name))
    error_message = "cluster_name should be 5-24 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "network" {
  description = "VPC network of the cluster."
  type        = string
  default     = "default"
}

variable "subnetwork" {
  description = "Subnetwork of the cluster (VPC-native: pod and service ranges are allocated in it)."
  type        = string
  default     = "default"
}

variable "release_channel" {
  description = "GKE release channel: RAPID, REGULAR or STABLE."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel should be RAPID, REGULAR or STABLE."
  }
}

variable "machine_type" {
  description = "Machine type of the workload nodes."
  type        = string
  default     = "e2-standard-4"
}

variable "disk_size_gb" {
  description = "Boot disk size of each node, in GB."
  type        = number
  default     = 50
}

variable "min_nodes_per_zone" {
  description = "Autoscaling lower bound, nodes per zone (a regional pool spans three zones)."
  type        = number
  default     = 1
}

variable "max_nodes_per_zone" {
  description = "Autoscaling upper bound, nodes per zone."
  type        = number
  default     = 3

  validation {
    condition     = var.max_nodes_per_zone >= 1
    error_message = "max_nodes_per_zone should be at least 1."
  }
}

variable "spot" {
  description = "Use Spot VMs for the workload nodes (cheaper, can be preempted: dev only)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to destroy the cluster."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on the cluster and its nodes."
  type        = map(string)
  default     = {}
}
