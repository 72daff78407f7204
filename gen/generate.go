// Package gen holds nwmo's generated model code: gen/oc for the OpenConfig
// models of the elements and gen/nwmomodel for nwmo's own module. Both are
// produced by generate.sh with the ygot generator pinned in go.mod, and
// committed; CI fails when regenerating them changes anything.
package gen

//go:generate ./generate.sh
