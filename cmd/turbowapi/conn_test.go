package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TLS verification is on by default: the simulator's self-signed certificate without
// --ca-cert fails and says how to trust it; --insecure works and warns; an unreadable CA
// file is an error; a password flag is refused. The password never appears in any output
// (run checks) or file.
func TestE2EConnectionSafety(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"untrusted", nil, 1, "--ca-cert"},
		{"ca-out-hint", nil, 1, "--ca-out"},
		{"unreadable-ca", []string{"--ca-cert", "/nonexistent/ca.pem"}, 2, "--ca-cert"},
		{"insecure", []string{"--insecure"}, 0, "WARNING: --insecure"},
		{"insecure-and-ca", []string{"--insecure", "--ca-cert", sim.CA}, 2, "exclude"},
		{"password-flag", []string{"--password", "x"}, 2, "never given as a flag"},
		{"ca", []string{"--ca-cert", sim.CA}, 0, "export: 0 network objects"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"export", "--type", "network", "--format", "jsonl"}, tc.args...)
			r := sim.run(t, dir, "", args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
			ents, _ := os.ReadDir(dir)
			if tc.code != 0 && len(ents) != 0 {
				t.Errorf("a failed connection left %v", ents)
			}
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				if bytes.Contains(b, []byte(e2ePassword)) {
					t.Fatalf("the password is in %s", e.Name())
				}
			}
		})
	}
}

// Connection settings come from flags or the environment; missing ones are usage errors.
func TestConnFlagsUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no-grid", nil, nil, "--grid"},
		{"no-user", map[string]string{"INFOBLOX_SERVER": "https://127.0.0.1:1"}, nil, "--user"},
		{"no-password", map[string]string{"INFOBLOX_SERVER": "https://127.0.0.1:1", "INFOBLOX_USERNAME": "u"}, nil, "INFOBLOX_PASSWORD"},
		{"empty-password-file", map[string]string{"INFOBLOX_SERVER": "https://127.0.0.1:1", "INFOBLOX_USERNAME": "u"},
			[]string{"--password-file", "EMPTY"}, "empty password"},
		{"bad-version", map[string]string{"INFOBLOX_SERVER": "https://127.0.0.1:1", "INFOBLOX_USERNAME": "u", "INFOBLOX_PASSWORD": "p"},
			[]string{"--wapi-version", "two"}, "version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			empty := filepath.Join(t.TempDir(), "empty")
			os.WriteFile(empty, nil, 0o600)
			var args []string
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "EMPTY", empty))
			}
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return tc.env[k] }}
			code := run(t.Context(), e, append([]string{"export", "--type", "network"}, args...))
			if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}
