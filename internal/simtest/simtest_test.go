package simtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

func TestStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		opts       []gridsim.Option
		user, pass string
		want       int
	}{
		{"default user", nil, simtest.User, simtest.Password, 200},
		{"wrong password", nil, simtest.User, "nope", 401},
		{"own user", []gridsim.Option{gridsim.WithUser("ops", "pw")}, "ops", "pw", 200},
		{"own user replaces the default", []gridsim.Option{gridsim.WithUser("ops", "pw")}, simtest.User, simtest.Password, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := simtest.Start(t, tc.opts...)
			pem, err := os.ReadFile(g.CAFile)
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				t.Fatal("CAFile holds no certificate")
			}
			// verify against the CA file, as a client would; the URL is https://127.0.0.1:port.
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequest("GET", g.URL+"/wapi/v2.11/grid", nil)
			req.SetBasicAuth(tc.user, tc.pass)
			res, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if st := g.Server.Stats(); st.Connections != 1 {
				t.Fatalf("connections %d: ConnState is not wired", st.Connections)
			}
		})
	}
}
