// Package tree works on ygot-generated config trees at the speed a
// datastore needs: a Schema compiled once per model set indexes every
// generated Go type with its YANG entry, so that walking, navigating by gNMI
// path, and encoding or decoding JSON cost a map lookup per step instead of
// ygot's reflection and schema searches (which grow with the size of a list
// and took minutes on a 10,000-interface tree).
//
//	s, _ := tree.Compile(oc.Schema)
//	root := s.New()
package tree
