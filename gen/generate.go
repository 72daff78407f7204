// Package gen holds nwmo's generated code: gen/oc for the OpenConfig
// models of the elements, gen/nwmomodel for nwmo's own module (both with
// the ygot generator pinned in go.mod) and gen/adminpb for nwmod's admin
// service (from admin.proto, with protoc). generate.sh produces them; they
// are committed, and CI fails when regenerating them changes anything.
package gen

//go:generate ./generate.sh
