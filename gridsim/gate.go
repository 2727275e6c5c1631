package gridsim

import (
	"context"
	"time"
)

// The request path has one place where service costs and faults hook in: every WAPI request,
// once authenticated and parsed and before it touches the store, passes through
// gate.admit; once executed, and before its reply is written, through gate.done. The default
// gate does nothing; a grid with a cost profile or faults uses simGate (cost.go).

// requestKind classifies a WAPI request for the gate.
type requestKind uint8

const (
	kindRead     requestKind = iota // GET of a ref
	kindSearch                      // GET of a type (one page)
	kindCreate                      // POST of a type
	kindUpdate                      // PUT of a ref
	kindDelete                      // DELETE of a ref
	kindFunction                    // POST ref?_function=...
	kindBatch                       // POST request
	kindSchema                      // GET ?_schema
	kindLogout                      // POST logout
)

// requestInfo is what the gate knows about a request.
type requestInfo struct {
	kind     requestKind
	items    int           // items in a request object (1 otherwise)
	writes   int           // object writes: planned in admit (items that write), actual in done
	returned int           // objects in the reply; known in done
	basic    bool          // authenticated with Basic credentials (a login), not the cookie
	firstReq bool          // first request on its connection (needs Server.ConnContext)
	version  string        // WAPI version of the URL
	seq      uint64        // arrival sequence number among WAPI requests, from 1
	arrived  int64         // when it arrived, on the cost model's clock (simGate only)
	lost     bool          // fault: reset the connection instead of replying
	spike    time.Duration // fault: extra latency in service
}

// gate admits requests and accounts for their cost. Every request that admit lets through
// passes through done exactly once, whether its execution succeeded or failed.
type gate interface {
	// admit runs before execution. A non-nil error is returned to the client instead of
	// executing the request (a fault); admit may also wait (queueing, service time) and must
	// return early with an error when ctx ends.
	admit(ctx context.Context, ri *requestInfo) *apiError
	// done runs after execution, with writes and returned filled in (0 when execution
	// failed), before the reply is written; it may wait (a cost proportional to the work
	// done). A non-nil error replaces the reply (a lost reply is resetConn).
	done(ctx context.Context, ri *requestInfo) *apiError
}

// openGate is the default: no cost, no faults.
type openGate struct{}

func (openGate) admit(context.Context, *requestInfo) *apiError { return nil }
func (openGate) done(context.Context, *requestInfo) *apiError  { return nil }
