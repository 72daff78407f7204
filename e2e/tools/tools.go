//go:build tools

// Package tools pins the gnmic CLI used by the end-to-end tests. It lives in a
// module of its own so that nwmo's go.mod stays free of gnmic's dependencies.
package tools

import _ "github.com/openconfig/gnmic"
