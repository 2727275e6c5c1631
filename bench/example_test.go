package bench_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http/httptest"

	"github.com/turbowapi/turbowapi/bench"
	"github.com/turbowapi/turbowapi/gridsim"
)

// The article's % improvement of 8 in flight over sequential, run 1: 43.10 %.
func ExampleImprovement() {
	seq, _ := bench.ArticleRow(1)
	eight, _ := bench.ArticleRow(8)
	fmt.Printf("%.2f %%\n", bench.Improvement(seq.Runs[0], eight.Runs[0]))
	fmt.Printf("median %.2f s, %.2f s\n", seq.Median, eight.Median)
	// Output:
	// 43.10 %
	// median 33.64 s, 19.39 s
}

// Fitting the Universal Scalability Law to throughput measured at several levels of
// concurrency.
func ExampleFitUSL() {
	points := []bench.Point{{N: 1, X: 30}, {N: 2, X: 41.27}, {N: 4, X: 49.30}, {N: 8, X: 51.26}, {N: 16, X: 46.47}}
	u, err := bench.FitUSL(points)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("σ %.2f κ %.3f N* %.1f\n", u.Sigma, u.Kappa, u.Peak)
	// Output:
	// σ 0.43 κ 0.012 N* 6.9
}

func ExampleParseTechniques() {
	ts, _ := bench.ParseTechniques("sequential,async,auto")
	for _, t := range ts {
		fmt.Printf("%-10s %-16s %s\n", t.Name(), t.Label(), t.Script())
	}
	// Output:
	// sequential sequential       wapi-network.py
	// async2     2 in flight      wapi-async.py
	// async4     4 in flight      wapi-async.py
	// async8     8 in flight      wapi-async.py
	// async16    16 in flight     wapi-async.py
	// async32    32 in flight     wapi-async.py
	// auto       turbowapi auto   turbowapi
}

// Running the experiment on a simulated grid: here one started in-process over TLS (turbowapi
// bench starts one the same way), with a small workload and two techniques.
func ExampleBench_Run() {
	prof, _ := gridsim.LookupProfile(gridsim.ProfileArticle)
	sim, _ := gridsim.New(gridsim.WithProfile(prof), gridsim.WithSpeed(50), gridsim.WithUser("admin", "infoblox"))
	defer sim.Close()
	cert, caPEM, _ := gridsim.SelfSignedCert("127.0.0.1")
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)

	grid := bench.Grid{URL: srv.URL, User: "admin", Password: "infoblox", TLS: &tls.Config{RootCAs: roots}}
	b, err := bench.New(grid, bench.WithSimulator(false), bench.WithObjects(32), bench.WithPasses(1),
		bench.WithTechniques(bench.Technique{Kind: bench.Sequential}, bench.Technique{Kind: bench.Async, N: 8}))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := b.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Rows {
		p := r.Passes[0]
		fmt.Printf("%s (%s): %d created, %d found in its network view, timed: %v\n", r.Label, r.Script, p.Created, p.Verified, p.Seconds > 0)
	}
	// The full report: bench.WriteText(os.Stdout, res), or WriteJSON, WriteHTML.
	// Output:
	// sequential (wapi-network.py): 32 created, 32 found in its network view, timed: true
	// 8 in flight (wapi-async.py): 32 created, 32 found in its network view, timed: true
}
