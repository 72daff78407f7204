// Package testmodel is generated from testmodel.yang, a model with the
// constructs that OpenConfig does not use but ygot validates, for the tests
// of package validate.
package testmodel

//go:generate sh -c "go tool generator -compress_paths=false -generate_fakeroot -fakeroot_name=root -include_schema -generate_getters -generate_simple_unions -generate_ordered_maps=false -package_name=testmodel -output_file=testmodel.gen.go testmodel.yang && gofmt -s -w testmodel.gen.go"
