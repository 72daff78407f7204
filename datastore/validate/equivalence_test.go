package validate

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nwmo/nwmo/datastore/tree"
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "seed of TestEquivalence (0: from the clock)")
	editsFlag = flag.Int("edits", 0, "number of random edits of TestEquivalence (0: the default)")
)

// equivalenceEdits is how many random edits TestEquivalence makes. ygot's
// Validate costs ~0.15 s per call on any tree (it walks the whole schema),
// 0.6 s under the race detector, which bounds what a default run can
// afford; -edits=N (or NWMO_VALIDATE_EDITS) runs more.
func equivalenceEdits() int {
	if *editsFlag > 0 {
		return *editsFlag
	}
	if n, err := strconv.Atoi(os.Getenv("NWMO_VALIDATE_EDITS")); err == nil && n > 0 {
		return n
	}
	switch {
	case testing.Short():
		return 60
	case raceEnabled:
		return 150
	}
	return 600
}

// TestEquivalence makes random edits of a valid tree — leaves set to random
// and sometimes invalid values, entries added, deleted and replaced,
// references added to missing targets and targets removed from under
// references — and checks that Index.Check accepts exactly the edits after
// which ygot's whole-tree Validate passes. Accepted edits are applied to
// the index and kept, rejected ones undone; from time to time the index is
// compared with one built afresh from the tree.
func TestEquivalence(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	n := equivalenceEdits()
	t.Logf("seed %d, %d edits (rerun with -seed=%d -edits=%d)", seed, n, seed, n)
	s, v := compiled(t)
	root := newTree(t, baseConfig)
	if err := s.NewEdit(root).Apply(tree.Op{Kind: tree.Update, Value: ietf(equivalenceExtra)}); err != nil {
		t.Fatal(err)
	}
	if err := ygotValid(root); err != nil {
		t.Fatalf("base: %v", err)
	}
	ix, err := v.NewIndex(root)
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), s: s, t: t, noLeafDeletes: treeLosesDeletedLeaves(t)}

	// ygot's verdicts are computed on copies of the tree, in parallel.
	type job struct {
		step int
		tree ygot.GoStruct
		mine error
		desc string
	}
	type mismatch struct {
		step            int
		desc            string
		mine, reference error
	}
	jobs := make(chan job, 64)
	var (
		mu         sync.Mutex
		mismatches []mismatch
		wg         sync.WaitGroup
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ref := ygotValid(j.tree)
				if (ref == nil) != (j.mine == nil) {
					mu.Lock()
					mismatches = append(mismatches, mismatch{j.step, j.desc, j.mine, ref})
					mu.Unlock()
				}
			}
		}()
	}

	// report waits for ygot's verdicts and reports where they differ.
	reported := false
	report := func() {
		if reported {
			return
		}
		reported = true
		close(jobs)
		wg.Wait()
		sort.Slice(mismatches, func(i, j int) bool { return mismatches[i].step < mismatches[j].step })
		for i, m := range mismatches {
			if i == 5 {
				break
			}
			t.Errorf("seed %d step %d: %s\n  Check: %v\n  ygot:  %v", seed, m.step, m.desc, m.mine, m.reference)
		}
	}
	defer report()
	var accepted, rejected, failed int
	reasons := map[string]int{}
	for step := 0; step < n; step++ {
		ops := g.edit(root)
		e := s.NewEdit(root)
		var applyErr error
		for _, op := range ops {
			if applyErr = safeApply(e, op); applyErr != nil {
				break
			}
		}
		if applyErr != nil {
			// The tree refused the edit (a value it cannot decode, a key
			// leaf deleted...): nothing to validate.
			if errors.Is(applyErr, errTreePanic) {
				t.Errorf("package tree panicked: %v", applyErr)
			}
			e.Undo()
			failed++
			continue
		}
		changes := e.Changes()
		var before string
		if step%25 == 0 {
			before = dump(ix)
		}
		// Every other step goes through Prepare and Prepared.Apply: the
		// fresh index below checks both ways of recording a change.
		var mine error
		var prepared *Prepared
		if step%2 == 1 {
			prepared, mine = ix.Prepare(root, changes)
		} else {
			mine = ix.Check(root, changes)
		}
		if before != "" && dump(ix) != before {
			t.Fatalf("seed %d step %d: Check modified the index", seed, step)
		}
		cp, err := ygot.DeepCopy(root)
		if err != nil {
			t.Fatal(err)
		}
		jobs <- job{step, cp, mine, describeOps(ops)}
		if mine == nil {
			accepted++
			if step%40 == 0 {
				// Apply to a clone first: the original must not change.
				before := dump(ix)
				c := ix.Clone()
				c.Apply(changes)
				if dump(ix) != before {
					t.Fatalf("seed %d step %d: applying to a clone changed the original", seed, step)
				}
			}
			if prepared != nil {
				prepared.Apply()
			} else {
				ix.Apply(changes)
			}
		} else {
			rejected++
			for _, v := range mine.(*Error).Violations {
				reasons[reasonKind(v.Reason)]++
			}
			e.Undo()
		}
		if step%50 == 49 || step == n-1 {
			fresh, err := v.NewIndex(root)
			if err != nil {
				report()
				t.Fatalf("seed %d step %d: NewIndex of the current tree: %v\nygot: %v", seed, step, err, ygotValid(root))
			}
			if got, want := dump(ix), dump(fresh); got != want {
				t.Fatalf("seed %d step %d: incremental index differs from NewIndex:\n%s", seed, step, diffLines(got, want))
			}
		}
	}
	report()
	t.Logf("rejections by reason: %v", reasons)
	t.Logf("%d accepted, %d rejected, %d refused by the tree; %d leaves in the final tree", accepted, rejected, failed, countLeaves(s, root))
}

// errTreePanic marks an operation the tree package panicked on: the edit
// is undone like any refused edit, and the test reports it.
var errTreePanic = errors.New("tree.Edit.Apply panicked")

func safeApply(e *tree.Edit, op tree.Op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w on %s: %v", errTreePanic, describeOps([]tree.Op{op}), r)
		}
	}()
	return e.Apply(op)
}

// reasonKind classifies a violation for the statistics the test logs.
func reasonKind(r string) string {
	switch {
	case strings.HasPrefix(r, "leafref:"):
		return "leafref"
	case strings.HasPrefix(r, "still referenced"):
		return "referenced"
	case strings.HasPrefix(r, "leafref "):
		return "broken leafref"
	}
	return "value"
}

func countLeaves(s *tree.Schema, root ygot.GoStruct) int {
	n := 0
	s.Leaves(s.Root, reflect.ValueOf(root), nil, func([]*gpb.PathElem, *tree.Field, reflect.Value) { n++ })
	return n
}

func describeOps(ops []tree.Op) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s", op.Kind, tree.FormatPath(op.Path))
		if op.Value != nil {
			switch v := op.Value.Value.(type) {
			case *gpb.TypedValue_JsonIetfVal:
				fmt.Fprintf(&b, " %s", v.JsonIetfVal)
			default:
				fmt.Fprintf(&b, " %v", op.Value.Value)
			}
		}
	}
	return b.String()
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	gs, ws := map[string]bool{}, map[string]bool{}
	for _, l := range g {
		gs[l] = true
	}
	for _, l := range w {
		ws[l] = true
	}
	var b strings.Builder
	for _, l := range g {
		if !ws[l] {
			b.WriteString("- incremental: " + l + "\n")
		}
	}
	for _, l := range w {
		if !gs[l] {
			b.WriteString("+ NewIndex:    " + l + "\n")
		}
	}
	return b.String()
}

// dump writes an index as sorted lines, to compare indexes.
func dump(ix *Index) string {
	var lines []string
	for k, n := range ix.targets {
		lines = append(lines, fmt.Sprintf("target %s = %d", keyString(k), n))
	}
	for k, hs := range ix.refs {
		hs = append([]string(nil), hs...)
		sort.Strings(hs)
		lines = append(lines, fmt.Sprintf("ref %s <- %v", keyString(k), hs))
	}
	for p, vals := range ix.srcVals {
		lines = append(lines, fmt.Sprintf("src %s = %#v", p, vals))
	}
	for p, s := range ix.predVals {
		lines = append(lines, fmt.Sprintf("pred %s = %q", p, s))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func keyString(k refKey) string {
	var comps []string
	for _, c := range k.set.comps {
		comps = append(comps, fmt.Sprintf("%d:%s", c.depth, c.key))
	}
	return fmt.Sprintf("%s@%d%v %q %#v %#v", k.set.target, k.set.anchorLen, comps, k.anchor, k.comps, k.value)
}

// treeLosesDeletedLeaves reports (as a test failure) whether tree.Edit
// loses the old value of a leaf deleted by itself, in which case the rest
// of the test cannot use such deletes.
func treeLosesDeletedLeaves(t *testing.T) bool {
	s, _ := compiled(t)
	root := newTree(t, baseConfig)
	e := s.NewEdit(root)
	if err := e.Apply(del(t, "/interfaces/interface[name=Ethernet1]/config/mtu")); err != nil {
		t.Fatal(err)
	}
	if len(e.Changes()) == 1 {
		return false
	}
	t.Error("tree.Edit does not report leaves deleted on their own; such deletes are left out")
	return true
}

// gen makes random edits.
type gen struct {
	r             *rand.Rand
	s             *tree.Schema
	t             testing.TB
	noLeafDeletes bool
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// The names edits use: mostly ones the base config has, some it does not.
func (g *gen) ifName() string {
	return g.pick("Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4", "Ethernet5", "Port-Channel1", "Port-Channel2", "Ethernet1", "Ethernet2")
}
func (g *gen) subif() string   { return g.pick("0", "0", "1", "100") }
func (g *gen) ni() string      { return g.pick("DEFAULT", "DEFAULT", "DEFAULT", "VRF1") }
func (g *gen) peerGrp() string { return g.pick("SPINE", "SPINE", "LEAF", "GHOST") }
func (g *gen) nbr() string     { return g.pick("192.0.2.0", "192.0.2.2", "2001:db8::1") }
func (g *gen) ip() string      { return g.pick("192.0.2.1", "192.0.2.5", "198.51.100.1") }

const bgpProto = "/protocols/protocol[identifier=BGP][name=BGP]/bgp"

// leafEdit is a random leaf path and a value for it.
func (g *gen) leafEdit() (string, *gpb.TypedValue) {
	ifp := "/interfaces/interface[name=" + g.ifName() + "]"
	nip := "/network-instances/network-instance[name=" + g.ni() + "]"
	switch g.r.IntN(22) {
	case 0:
		return ifp + "/config/mtu", uval(uint64(g.r.IntN(10000)))
	case 1:
		return ifp + "/config/description", sval(g.pick("core", "", "x"))
	case 2:
		return ifp + "/config/name", sval(g.ifName())
	case 3:
		return ifp + "/config/type", ietf(`"` + g.pick("iana-if-type:ethernetCsmacd", "iana-if-type:ieee8023adLag", "iana-if-type:softwareLoopback") + `"`)
	case 4:
		i := g.subif()
		return ifp + "/subinterfaces/subinterface[index=" + i + "]/config/index", uval(uint64(g.pick2(i)))
	case 5:
		ip := g.ip()
		return ifp + "/subinterfaces/subinterface[index=" + g.subif() + "]/ipv4/addresses/address[ip=" + ip + "]/config/ip", sval(g.pick(ip, ip, "192.0.2.300", "not-an-ip"))
	case 6:
		return ifp + "/subinterfaces/subinterface[index=" + g.subif() + "]/ipv4/addresses/address[ip=" + g.ip() + "]/config/prefix-length", uval(uint64(g.pick2("24", "31", "33")))
	case 7:
		return ifp + "/ethernet/config/aggregate-id", sval(g.pick("Port-Channel1", "Port-Channel2", "Ethernet1", "Nope"))
	case 8:
		return ifp + "/aggregation/config/lag-type", ietf(`"` + g.pick("LACP", "STATIC") + `"`)
	case 9:
		id := g.pick("Ethernet1.0", "Port-Channel1", "Ethernet2.0", "X")
		return nip + "/interfaces/interface[id=" + id + "]/config/id", sval(g.pick(id, id, "Y"))
	case 10:
		return nip + "/interfaces/interface[id=" + g.pick("Ethernet1.0", "Port-Channel1", "Ethernet2.0") + "]/config/interface", sval(g.ifName())
	case 11:
		return nip + "/interfaces/interface[id=" + g.pick("Ethernet1.0", "Port-Channel1", "Ethernet2.0") + "]/config/subinterface", uval(uint64(g.pick2(g.subif())))
	case 12:
		return nip + "/config/name", sval(g.ni())
	case 13:
		return nip + bgpProto + "/global/config/router-id", sval(g.pick("192.0.2.1", "10.0.0.256", "1.1.1.1"))
	case 14:
		nb := g.nbr()
		return nip + bgpProto + "/neighbors/neighbor[neighbor-address=" + nb + "]/config/neighbor-address", sval(g.pick(nb, nb, "192.0.2.9"))
	case 15:
		return nip + bgpProto + "/neighbors/neighbor[neighbor-address=" + g.nbr() + "]/config/peer-group", sval(g.peerGrp())
	case 16:
		pg := g.peerGrp()
		return nip + bgpProto + "/peer-groups/peer-group[peer-group-name=" + pg + "]/config/peer-group-name", sval(pg)
	case 17:
		n := g.ifName()
		return "/lldp/interfaces/interface[name=" + n + "]/config/name", sval(g.pick(n, n, g.ifName()))
	case 18:
		// A state leaf-list of leafrefs.
		return ifp + "/aggregation/state/member", ietf(`["` + g.ifName() + `","` + g.ifName() + `"]`)
	case 19:
		v := g.pick("10", "20", "4095")
		return nip + "/vlans/vlan[vlan-id=" + v + "]/config/vlan-id", uval(uint64(g.pick2(v, v, "4095")))
	case 20:
		// A leafref with a predicate on one key of a two-key list, and
		// an enum value: table-connection address-family refers to
		// ../../../../tables/table[protocol=current()/../src-protocol]/config/address-family.
		tc := nip + "/table-connections/table-connection[src-protocol=" + g.pick("BGP", "STATIC") + "][dst-protocol=BGP][address-family=IPV4]/config/"
		switch g.r.IntN(3) {
		case 0:
			return tc + "address-family", ietf(`"` + g.pick("IPV4", "IPV6") + `"`)
		case 1:
			return tc + "src-protocol", ietf(`"` + g.pick("BGP", "STATIC") + `"`)
		}
		return tc + "dst-protocol", ietf(`"BGP"`)
	default:
		tb := nip + "/tables/table[protocol=" + g.pick("BGP", "STATIC") + "][address-family=" + g.pick("IPV4", "IPV6") + "]/config/"
		if g.chance(0.5) {
			return tb + "protocol", ietf(`"` + g.pick("BGP", "STATIC") + `"`)
		}
		return tb + "address-family", ietf(`"` + g.pick("IPV4", "IPV6") + `"`)
	}
}

func (g *gen) pick2(xs ...string) int {
	n, err := strconv.Atoi(g.pick(xs...))
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

// jsonEdit is a random subtree: a path and a JSON value to merge or
// replace there.
func (g *gen) jsonEdit() (string, string) {
	name := g.ifName()
	nip := "/network-instances/network-instance[name=" + g.ni() + "]"
	switch g.r.IntN(9) {
	case 0:
		cfgName := name
		if g.chance(0.15) {
			cfgName = g.ifName()
		}
		sub := ""
		if g.chance(0.6) {
			i := g.subif()
			sub = fmt.Sprintf(`,"subinterfaces":{"subinterface":[{"index":%s,"config":{"index":%s}}]}`, i, i)
		}
		return "/interfaces/interface[name=" + name + "]", fmt.Sprintf(`{"name":%q,"config":{"name":%q,"type":"iana-if-type:ethernetCsmacd"}%s}`, name, cfgName, sub)
	case 1:
		i := g.subif()
		return "/interfaces/interface[name=" + name + "]/subinterfaces", fmt.Sprintf(`{"subinterface":[{"index":%s,"config":{"index":%s,"description":"new"}}]}`, i, i)
	case 2:
		id := g.pick("Ethernet1.0", "Ethernet3", "Port-Channel2", "Z")
		return nip + "/interfaces", fmt.Sprintf(`{"interface":[{"id":%q,"config":{"id":%q,"interface":%q,"subinterface":%s}}]}`, id, id, g.ifName(), g.subif())
	case 3:
		nb := g.nbr()
		return nip + bgpProto + "/neighbors", fmt.Sprintf(`{"neighbor":[{"neighbor-address":%q,"config":{"neighbor-address":%q,"peer-group":%q,"peer-as":%d}}]}`, nb, nb, g.peerGrp(), 65000+g.r.IntN(3))
	case 4:
		pg := g.peerGrp()
		return nip + bgpProto + "/peer-groups/peer-group[peer-group-name=" + pg + "]", fmt.Sprintf(`{"peer-group-name":%q,"config":{"peer-group-name":%q}}`, pg, pg)
	case 5:
		return nip, fmt.Sprintf(`{"name":%q,"config":{"name":%q,"type":"openconfig-network-instance-types:L3VRF"}}`, g.ni(), g.ni())
	case 6:
		// An interface named "*": ygot reads a predicate value "*" as a
		// wildcard.
		return "/interfaces", `{"interface":[{"name":"*","config":{"name":"*"},"subinterfaces":{"subinterface":[{"index":7,"config":{"index":7}}]}}]}`
	case 7:
		// An unkeyed state list whose entries hold a leafref.
		return nip + "/vlans/vlan[vlan-id=10]", fmt.Sprintf(`{"vlan-id":10,"config":{"vlan-id":10},"members":{"member":[{"state":{"interface":%q}},{"state":{"interface":%q}}]}}`, g.ifName(), g.ifName())
	default:
		// A leafref ygot cannot parse: any value fails.
		return "/acl/interfaces/interface[id=Ethernet1]", `{"id":"Ethernet1","config":{"id":"Ethernet1"},"ingress-acl-sets":{"ingress-acl-set":[{"set-name":"A","type":"ACL_IPV4","config":{"set-name":"A","type":"ACL_IPV4"},"acl-entries":{"acl-entry":[{"sequence-id":5,"state":{"sequence-id":5}}]}}]}}`
	}
}

// deletion picks an existing node: a leaf, or one of its ancestors.
func (g *gen) deletion(root ygot.GoStruct) string {
	var paths [][]*gpb.PathElem
	g.s.Leaves(g.s.Root, reflect.ValueOf(root), nil, func(p []*gpb.PathElem, _ *tree.Field, _ reflect.Value) {
		paths = append(paths, p)
	})
	if len(paths) == 0 {
		return "/interfaces"
	}
	p := paths[g.r.IntN(len(paths))]
	// Mostly the leaf, its container or its entry; rarely more.
	n := len(p) - g.r.IntN(min(len(p), 4))
	if g.chance(0.05) {
		n = 1 + g.r.IntN(len(p))
	}
	if g.noLeafDeletes && n == len(p) {
		n--
	}
	return tree.FormatPath(p[:n])
}

// edit returns the operations of one random edit.
func (g *gen) edit(root ygot.GoStruct) []tree.Op {
	if countLeaves(g.s, root) < 30 {
		// Edits have whittled the tree down: merge the base back in.
		return []tree.Op{{Kind: tree.Update, Path: nil, Value: ietf(baseConfig)}}
	}
	var ops []tree.Op
	for k := 1 + g.r.IntN(3); k > 0; k-- {
		if k < 3 && g.chance(0.4) && len(ops) > 0 {
			break
		}
		switch x := g.r.IntN(100); {
		case x < 40:
			p, v := g.leafEdit()
			ops = append(ops, upd(g.t, p, v))
		case x < 70:
			ops = append(ops, del(g.t, g.deletion(root)))
		case x < 88:
			p, j := g.jsonEdit()
			ops = append(ops, upd(g.t, p, ietf(j)))
		default:
			p, j := g.jsonEdit()
			ops = append(ops, rep(g.t, p, ietf(j)))
		}
	}
	return ops
}

// equivalenceExtra is merged into the base config for TestEquivalence:
// more of the leafrefs the random edits play with.
const equivalenceExtra = `{
 "openconfig-interfaces:interfaces": {"interface": [
  {"name": "Ethernet5", "config": {"name": "Ethernet5", "type": "iana-if-type:ethernetCsmacd"},
   "subinterfaces": {"subinterface": [{"index": 0, "config": {"index": 0}}, {"index": 1, "config": {"index": 1}}]}},
  {"name": "Port-Channel2", "config": {"name": "Port-Channel2", "type": "iana-if-type:ieee8023adLag"},
   "openconfig-if-aggregate:aggregation": {"config": {"lag-type": "STATIC"}, "state": {"member": ["Ethernet5"]}}}]},
 "openconfig-network-instance:network-instances": {"network-instance": [
  {"name": "DEFAULT",
   "tables": {"table": [{"protocol": "openconfig-policy-types:BGP", "address-family": "openconfig-types:IPV4",
    "config": {"protocol": "openconfig-policy-types:BGP", "address-family": "openconfig-types:IPV4"}}]},
   "table-connections": {"table-connection": [{"src-protocol": "openconfig-policy-types:BGP", "dst-protocol": "openconfig-policy-types:BGP", "address-family": "openconfig-types:IPV4",
    "config": {"src-protocol": "openconfig-policy-types:BGP", "dst-protocol": "openconfig-policy-types:BGP", "address-family": "openconfig-types:IPV4"}}]},
   "vlans": {"vlan": [{"vlan-id": 10, "config": {"vlan-id": 10}, "members": {"member": [{"state": {"interface": "Ethernet2"}}]}}]}},
  {"name": "VRF1", "config": {"name": "VRF1", "type": "openconfig-network-instance-types:L3VRF"},
   "interfaces": {"interface": [{"id": "Ethernet5.1", "config": {"id": "Ethernet5.1", "interface": "Ethernet5", "subinterface": 1}}]}}]}
}`
