# The processed trips table. Its columns are NOT written here: schemas/trips.json is generated
# from libs/schema/src/processed.ts by `npm run gen:schema`, and test/deploy/terraform.test.ts
# fails when the file and the code disagree. Partitioning and clustering must match
# PROCESSED_PARTITION_FIELD and PROCESSED_CLUSTER_FIELDS there (the same test checks them).

locals {
  trips_schema = jsondecode(file("${path.module}/schemas/trips.json"))
}

resource "google_bigquery_dataset" "trips" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "NYC TLC trips processed by taxi-stream."
  delete_contents_on_destroy = false
  labels                     = var.labels
  # No `access` blocks: they are authoritative and would fight the dataset IAM members of ../iam.
}

resource "google_bigquery_table" "trips" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.trips.dataset_id
  table_id            = "trips"
  description         = "One row per valid trip (rejects go to the DLQ topic), written through the Storage Write API."
  deletion_protection = var.deletion_protection
  labels              = var.labels
  schema              = jsonencode(local.trips_schema)

  # A replay replaces one month: whole days are replaced partition by partition.
  time_partitioning {
    type  = "DAY"
    field = "pickup_date"
  }

  clustering = ["pickup_zone"]

  lifecycle {
    precondition {
      condition     = contains([for column in local.trips_schema : column.name], "pickup_date")
      error_message = "The partitioning column pickup_date is missing from schemas/trips.json (run npm run gen:schema)."
    }
  }
}
