package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/ygot"
	"google.golang.org/grpc/status"

	"github.com/nwmo/nwmo/datastore/tree"
)

// Handler is the fleet's fault control over HTTP, for people and scripts
// (curl) driving a running nwmo-sim:
//
//	GET  /elements                         every element's status (JSON)
//	GET  /elements/NAME                    one element's status
//	POST /elements/NAME/down               unreachable until up
//	POST /elements/NAME/up
//	POST /elements/NAME/reject?count=N     refuse the next N Sets (-1: every Set, 0: none)
//	POST /elements/NAME/delay?d=DURATION   every Set waits DURATION (0 for none)
//	POST /elements/NAME/crash?restart=D    the next Set is applied, then the element dies; back after D (default 2s, 0: stays down)
//	POST /elements/NAME/set?path=P&value=V local configuration change (drift); V is JSON, or a plain string
//	POST /elements/NAME/delete?path=P      local configuration delete (drift)
//	POST /crash?after=N                    the next N Sets are applied (on any elements), then the whole process dies
//
// crash is what POST /crash calls once its Sets are applied; nwmo-sim
// exits the process there.
func (f *Fleet) Handler(crash func()) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /elements", func(w http.ResponseWriter, _ *http.Request) {
		out := make([]Status, len(f.elements))
		for i, e := range f.elements {
			out[i] = e.Status()
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /elements/{name}", f.withElement(func(e *Element, w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/down", f.withElement(func(e *Element, w http.ResponseWriter, _ *http.Request) error {
		e.Down()
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/up", f.withElement(func(e *Element, w http.ResponseWriter, _ *http.Request) error {
		if err := e.Up(); err != nil {
			return err
		}
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/reject", f.withElement(func(e *Element, w http.ResponseWriter, r *http.Request) error {
		n, err := strconv.Atoi(r.URL.Query().Get("count"))
		if err != nil {
			return badRequest("count: want an integer, -1 for every Set")
		}
		e.RejectNext(n)
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/delay", f.withElement(func(e *Element, w http.ResponseWriter, r *http.Request) error {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			return badRequest("d: want a duration such as 2s")
		}
		e.SetDelay(d)
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/crash", f.withElement(func(e *Element, w http.ResponseWriter, r *http.Request) error {
		restart := 2 * time.Second
		if s := r.URL.Query().Get("restart"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return badRequest("restart: want a duration such as 2s, 0 to stay down")
			}
			restart = d
		}
		e.CrashNext(restart)
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/set", f.withElement(func(e *Element, w http.ResponseWriter, r *http.Request) error {
		p, err := queryPath(r)
		if err != nil {
			return err
		}
		v := r.URL.Query().Get("value")
		if !json.Valid([]byte(v)) {
			b, _ := json.Marshal(v)
			v = string(b)
		}
		if err := e.Configure(tree.Op{Kind: tree.Update, Path: p, Value: jsonValue([]byte(v), true)}); err != nil {
			return badRequest("%s", status.Convert(err).Message())
		}
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /elements/{name}/delete", f.withElement(func(e *Element, w http.ResponseWriter, r *http.Request) error {
		p, err := queryPath(r)
		if err != nil {
			return err
		}
		if err := e.Configure(tree.Op{Kind: tree.Delete, Path: p}); err != nil {
			return badRequest("%s", status.Convert(err).Message())
		}
		writeJSON(w, e.Status())
		return nil
	}))
	mux.HandleFunc("POST /crash", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("after"))
		if err != nil || n < 1 {
			http.Error(w, "after: want how many Sets to apply before dying (1 or more)", http.StatusBadRequest)
			return
		}
		f.CrashAfter(n, crash)
		writeJSON(w, map[string]int{"crashAfterSets": n})
	})
	return mux
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func (f *Fleet) withElement(h func(*Element, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e := f.Element(r.PathValue("name"))
		if e == nil {
			http.Error(w, fmt.Sprintf("no element %q", r.PathValue("name")), http.StatusNotFound)
			return
		}
		if err := h(e, w, r); err != nil {
			code := http.StatusInternalServerError
			var he *httpError
			if errors.As(err, &he) {
				code = he.code
			}
			http.Error(w, err.Error(), code)
		}
	}
}

func queryPath(r *http.Request) ([]*gpb.PathElem, error) {
	p, err := ygot.StringToStructuredPath(r.URL.Query().Get("path"))
	if err != nil {
		return nil, badRequest("path: %v", err)
	}
	return p.GetElem(), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
