package main

import "testing"

func TestUndoPhaseOrder(t *testing.T) {
	t.Parallel()
	// In deletion order.
	order := []struct{ typ, key string }{
		{"record:a", "ipv4addr=10.0.0.1&name=h.a.example.com&view=default"},
		{"zone_auth", "fqdn=a.example.com&view=default"},
		{"zone_auth", "fqdn=example.com&view=default"},
		{"network", "network=10.0.0.0/24&network_view=default"},
		{"networkcontainer", "network=10.0.0.0/16&network_view=default"},
		{"networkcontainer", "network=10.0.0.0/8&network_view=default"},
		{"networkview", "name=lab"},
	}
	for i := 1; i < len(order); i++ {
		a, b := undoPhase(order[i-1].typ, order[i-1].key), undoPhase(order[i].typ, order[i].key)
		if a >= b {
			t.Errorf("%s %s (phase %d) not before %s %s (phase %d)", order[i-1].typ, order[i-1].key, a, order[i].typ, order[i].key, b)
		}
	}
}
