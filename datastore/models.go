package datastore

import (
	"sync"

	"github.com/nwmo/nwmo/datastore/tree"
	"github.com/nwmo/nwmo/datastore/validate"
	"github.com/nwmo/nwmo/gen/nwmomodel"
	"github.com/nwmo/nwmo/gen/oc"
)

// ServerTarget is the target of nwmo's own model: the inventory, history,
// candidates and alarms.
const ServerTarget = "nwmo"

// Model is a compiled schema with its validator, built once per process.
type Model struct {
	Name      string
	Schema    *tree.Schema
	Validator *validate.Validator
}

var (
	modelsOnce            sync.Once
	deviceModel, ownModel *Model
	modelsErr             error
)

// Models returns the compiled models: the OpenConfig device model of the
// elements and nwmo's own model.
func Models() (device, own *Model, err error) {
	modelsOnce.Do(func() {
		deviceModel, modelsErr = compile("openconfig", oc.Schema)
		if modelsErr == nil {
			ownModel, modelsErr = compile("nwmo", nwmomodel.Schema)
		}
	})
	return deviceModel, ownModel, modelsErr
}

func compile(name string, load tree.SchemaFunc) (*Model, error) {
	s, err := tree.Compile(load)
	if err != nil {
		return nil, err
	}
	v, err := validate.New(s)
	if err != nil {
		return nil, err
	}
	return &Model{Name: name, Schema: s, Validator: v}, nil
}
