// Package validate checks edits of a config tree in time proportional to
// the edit, and rejects exactly what ygot's whole-tree Validate rejects.
//
// ygot's Validate walks the whole tree, and the whole schema besides, on
// every call, and resolves every leafref by walking the tree again: on a
// device-sized tree it takes tens of seconds. Here a Validator is compiled
// once per schema: for every leaf, its type check and the leafrefs it takes
// part in, as the source, as a target, or as the input of a predicate such
// as [name=current()/../interface]. An Index, kept per tree, counts the
// target values of every leafref in every scope and records which sources
// refer to each, so that
//
//   - a changed leaf's value is checked against its YANG type alone;
//
//   - a new or changed reference finds its target by a map lookup;
//
//   - removing or changing a target finds whether something still refers to
//     it by a map lookup, without searching the tree.
//
//     v, _ := validate.New(schema)          // once
//     ix, err := v.NewIndex(running)        // once per tree: checks it whole
//     cand := ix.Clone()                    // a candidate starts from running
//     edit := schema.NewEdit(tree)          // ... apply operations ...
//     if err := cand.Check(tree, edit.Changes()); err != nil {
//     edit.Undo()                   // errors.Is(err, validate.ErrInvalid)
//     } else {
//     cand.Apply(edit.Changes())
//     }
//
// Prepare is Check returning the edit's effect on the index, which
// Prepared.Apply records without working it out a second time: the commit
// path uses it.
//
// What is checked mirrors ygot v0.36.0 (ytypes.Validate and
// ValidateLeafRefData), including where ygot is lenient or odd; value.go
// and leafref.go list the rules. Like ygot, this package does not evaluate
// must or when statements, nor mandatory or unique.
package validate
