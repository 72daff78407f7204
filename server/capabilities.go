package server

import (
	"context"
	"sort"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"

	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

// Encodings are the gNMI encodings nwmod serves, in order of preference.
var Encodings = []gpb.Encoding{gpb.Encoding_JSON_IETF, gpb.Encoding_JSON, gpb.Encoding_PROTO}

// gnmiVersion is the version of the gNMI specification the generated gNMI
// package was built from, as its proto file declares it.
var gnmiVersion = proto.GetExtension(gpb.File_github_com_openconfig_gnmi_proto_gnmi_gnmi_proto.Options(), gpb.E_GnmiService).(string)

// models is every model of both schemas, computed once: the OpenConfig
// models of the elements and nwmo's own module.
var models = func() []*gpb.ModelData {
	byName := map[string]*gpb.ModelData{}
	for _, m := range append(append([]*gpb.ModelData{}, oc.Models...), nwmomodel.Models...) {
		byName[m.GetName()] = m
	}
	all := make([]*gpb.ModelData, 0, len(byName))
	for _, m := range byName {
		all = append(all, m)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GetName() < all[j].GetName() })
	return all
}()

// Capabilities lists the models of the elements and of nwmo itself, the
// encodings served, and the gNMI version.
func (s *Server) Capabilities(ctx context.Context, _ *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	return &gpb.CapabilityResponse{
		SupportedModels:    models,
		SupportedEncodings: Encodings,
		GNMIVersion:        gnmiVersion,
	}, nil
}
