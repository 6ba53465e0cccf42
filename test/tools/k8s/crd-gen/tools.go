//go:build tools

// Package tools pins the API packages whose CRDs the manifest tests need (go.mod's `tool` line
// pins controller-gen). KEDA and prometheus-operator publish no CRD files to a package registry,
// but both generate their CRDs with controller-gen from these Go API packages:
// test/tools/install-k8s-tools.sh does the same, offline, with the versions in go.mod.
package tools

import (
	_ "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
