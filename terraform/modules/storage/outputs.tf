output "raw_bucket" {
  description = "Name of the raw bucket."
  value       = google_storage_bucket.raw.name
}

output "processed_bucket" {
  description = "Name of the processed bucket."
  value       = google_storage_bucket.processed.name
}
