package bench

import (
	"fmt"
	"strings"
)

// assumptions lists what the run's figures rest on that nobody measured: the simulator's
// profile assumptions, labelled with the profile, then the benchmark's own.
func (b *Bench) assumptions(experiment bool) []string {
	var out []string
	if b.sim != nil {
		name := b.sim.Profile.Name
		for _, a := range b.sim.Profile.Assumptions {
			if !strings.HasPrefix(a, name+" profile") {
				a = fmt.Sprintf("%s profile: %s", name, a)
			}
			out = append(out, a)
		}
		if experiment {
			out = append(out, "16 threads, one request call and auto were never measured by the article "+
				"(seed-series.md §6): their times rest on the profile's assumed costs above, "+
				"so they are new measurements on assumed costs, not a reproduction")
		}
		if b.sim.Speed != 1 {
			out = append(out, fmt.Sprintf("speed %g: grid seconds are wall seconds × %g, so the client's own time "+
				"per request (this machine's) is scaled up too; at this speed it is small against a request's cost", b.sim.Speed, b.sim.Speed))
		}
	}
	return out
}

// Notes says how the techniques are replayed and what is timed.
func Notes() []string {
	return []string{
		"each run creates its networks in a network view of its own, created before and deleted after it " +
			"(deleting a network view deletes its networks); the article used the default view and did not say how it cleaned up",
		"passes run one after the other over every technique (pass 1 of all, then pass 2, ...)",
		"sequential (wapi-network.py): Basic login on GET grid before the timer, its connection closed as the script's session " +
			"block closed; then one POST network at a time with the ibapauth cookie, JSON without a Content-Type, keep-alive",
		"16 threads (wapi-threaded.py): the same login; 16 workers share one cookie and a pool that keeps at most 10 idle " +
			"connections and opens more when all are busy (urllib3 with pool_block off, modelled by Go's transport with " +
			"10 idle connections per host and no cap), a connection returned to a full pool being closed",
		"one request call (wapi-request.py): the same login; one POST request with every network, JSON without a Content-Type " +
			"(the script's missing dotenv import restored)",
		"N in flight (wapi-async.py): the timer starts before the client is created and includes the Basic login on GET grid, " +
			"whose response stays open while the posts run; N POST network in flight, form-encoded bodies, " +
			"up to 100 kept-alive connections (aiohttp's connector)",
		"turbowapi auto: the bulk engine's auto strategy through the wapi client, with its defaults; login before the timer; " +
			"the engine, its controller and its limiter run on the grid's clock (wall time × speed), so that their time constants " +
			"(windows, knee memory, pauses, retry backoff, latency budget) and any Retry-After the grid asks for last in grid time " +
			"what they would on a real grid",
		"times are the timed region only; login is outside it except for the async script; setup, counting the networks " +
			"afterwards and deleting the view are outside it",
	}
}
