#!/usr/bin/env bash
# Generates the Go structs and schemas of nwmo's two model sets with the ygot
# generator pinned in go.mod:
#   gen/oc        the OpenConfig models of the elements (yang/openconfig.txt)
#   gen/nwmomodel nwmo's own module (yang/nwmo.yang)
# and the Go code of nwmod's admin service from gen/adminpb/admin.proto, with
# protoc and the protoc-gen-go and protoc-gen-go-grpc pinned in go.mod.
# Run it with `make gen` or `go generate ./gen/...`; never edit the output.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '$1 == "version" { print $2 }' yang/openconfig.txt)
public=$(go mod download -json "github.com/openconfig/public@${version}" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$public" ] || [ ! -d "$public/release/models" ]; then
  echo "generate: cannot fetch github.com/openconfig/public@${version}" >&2
  exit 1
fi
mapfile -t modules < <(grep -E '^release/|^third_party/' yang/openconfig.txt | sed "s|^|$public/|")

# Flags both model sets share: uncompressed paths (as on a real device), a
# fake root, the schema embedded for unmarshal and validation, and the
# helpers that a gNMI server needs. The model data that Capabilities reports
# comes from gen/modeldata, which also versions modules by revision date.
common=(
  -compress_paths=false
  -generate_fakeroot
  -include_schema
  -generate_getters
  -generate_leaf_getters
  -generate_append
  -generate_delete
  -generate_populate_defaults
  -generate_simple_unions
  -generate_ordered_maps=false
  -typedef_enum_with_defmod
  -enum_suffix_for_simple_union_enums
  -structs_split_files_count=8
)

generate() { # dir package fakeroot yang-files...
  local dir=$1 pkg=$2 root=$3
  shift 3
  rm -rf "$dir"
  mkdir -p "$dir"
  go tool generator "${common[@]}" \
    -path="$public/release/models,$public/third_party/ietf,yang" \
    -exclude_modules=ietf-interfaces \
    -package_name="$pkg" -fakeroot_name="$root" \
    -output_dir="$dir" "$@"
  go run ./gen/modeldata -package="$pkg" -out="$dir/models.go" \
    -path="$public/release/models,$public/third_party/ietf,yang" "$@"
  go run ./gen/canonschema "$dir/schema.go"
  go tool goimports -w "$dir"
  gofmt -s -w "$dir"
}

generate gen/oc oc device "${modules[@]}"
generate gen/nwmomodel nwmomodel root yang/nwmo.yang

# The admin service. protoc writes its version into the code: CI and `make
# gen` use Debian's (3.21.12), which the Makefile installs.
plugins=$(mktemp -d)
trap 'rm -rf "$plugins"' EXIT
go build -o "$plugins/" google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc
rm -f gen/adminpb/*.pb.go
protoc --plugin=protoc-gen-go="$plugins/protoc-gen-go" --plugin=protoc-gen-go-grpc="$plugins/protoc-gen-go-grpc" \
  -I gen/adminpb --go_out=gen/adminpb --go_opt=paths=source_relative \
  --go-grpc_out=gen/adminpb --go-grpc_opt=paths=source_relative admin.proto
