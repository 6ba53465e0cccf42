terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }

  # Remote state in a GCS bucket. Nothing is hard-coded: pass the bucket and prefix at init,
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=taxi-stream/prod"
  # (see ../../README.md). `terraform init -backend=false` checks the code without any state.
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}
