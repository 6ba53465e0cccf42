output "dataset_id" {
  description = "Id of the dataset holding the trips table."
  value       = google_bigquery_dataset.trips.dataset_id
}

output "table_id" {
  description = "Fully qualified id of the trips table (projects/…/datasets/…/tables/trips)."
  value       = google_bigquery_table.trips.id
}
