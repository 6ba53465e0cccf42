// promql-check parses PromQL expressions with Prometheus' own parser, offline: the alert rules
// and dashboard queries of deploy/k8s are checked by test/deploy/k8s.test.ts through it.
// Input on stdin: a JSON array of {"name", "expr"}. Output on stdout: the same array with
// "error" set for each expression that does not parse (empty when it does). Exit status 0.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/promql/parser"
)

type query struct {
	Name  string `json:"name"`
	Expr  string `json:"expr"`
	Error string `json:"error"`
}

func main() {
	var queries []query
	if err := json.NewDecoder(os.Stdin).Decode(&queries); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: stdin should be a JSON array of {name, expr}: %v\n", err)
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	for i := range queries {
		if _, err := p.ParseExpr(queries[i].Expr); err != nil {
			queries[i].Error = err.Error()
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(queries); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: %v\n", err)
		os.Exit(2)
	}
}
