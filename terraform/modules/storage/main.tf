# Object storage for the pipeline: the raw month files as downloaded (raw/{service}/{yyyy}/{mm}/…)
# and the processed Parquet (processed/…). Both buckets are private by construction: uniform
# bucket-level access (IAM only, no object ACLs) and public access prevention enforced.

resource "google_storage_bucket" "raw" {
  project                     = var.project_id
  name                        = var.raw_bucket_name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { data = "raw" })

  # Raw files are re-read only to replay from source: cheaper storage after a month, gone after a year.
  lifecycle_rule {
    condition {
      age                   = var.raw_nearline_after_days
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age = var.raw_delete_after_days
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "processed" {
  project                     = var.project_id
  name                        = var.processed_bucket_name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { data = "processed" })

  # A replay overwrites a month's objects: versioning keeps the previous output recoverable.
  versioning {
    enabled = true
  }

  # ...for a bounded time, so replays do not grow the bucket without limit.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.processed_noncurrent_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}
