# tflint with its built-in terraform ruleset only: no plugin is downloaded (`tflint --init` is never
# needed). Run from this folder: tflint --recursive (test/deploy/terraform.test.ts does).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
