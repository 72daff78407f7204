// Package modeltest checks that the generated OpenConfig models accept a
// realistic device configuration and reject invalid ones with errors that
// name the path.
//
// The package holds tests only. The configuration they start from is
// testdata/device.json, an element's configuration in RFC 7951 JSON
// (JSON_IETF); each invalid case is a small edit of it.
package modeltest
